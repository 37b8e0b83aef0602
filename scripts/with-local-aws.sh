#!/usr/bin/env bash
# Usage: scripts/with-local-aws.sh COMMAND...
# Runs COMMAND with one local AWS (DynamoDB Local and moto) for all of it:
# `make test` runs the whole test suite on one. The endpoints are in the
# environment, as the service reads them (AWS_ENDPOINT_URL_DYNAMODB,
# AWS_ENDPOINT_URL_DYNAMODB_STREAMS, AWS_ENDPOINT_URL).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/local-aws.sh
trap stop_local_aws EXIT
start_local_aws
"$@"
