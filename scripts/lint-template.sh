#!/usr/bin/env bash
# Lints the SAM template offline: cfn-lint, then `sam validate --lint`. Both
# live in their own venv (aws-sam-cli pins an older boto3 than moto wants).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/venv.sh lint-venv aws-sam-cli==1.170.0 cfn-lint==1.58.0
venv=.local/lint-venv
"$venv/bin/cfn-lint" infra/template.yaml
AWS_DEFAULT_REGION=us-east-1 SAM_CLI_TELEMETRY=0 "$venv/bin/sam" validate --lint --template infra/template.yaml
