# Sourced by dev.sh and with-local-aws.sh: starts and stops the local AWS.
# DynamoDB and DynamoDB Streams go to DynamoDB Local (the official jar, in
# memory); moto serves what DynamoDB Local does not speak: KMS, SESv2,
# EventBridge, SQS. Both on free loopback ports; DynamoDB Local itself binds
# every interface (it has no option against that).

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits until something answers HTTP on 127.0.0.1:$1; $2 is the process, $3 its log.
wait_for_http() {
  for _ in $(seq 1 200); do
    if curl -s -o /dev/null "http://127.0.0.1:$1/"; then return 0; fi
    kill -0 "$2" 2>/dev/null || { cat "$3" >&2; return 1; }
    sleep 0.1
  done
  cat "$3" >&2
  return 1
}

# Starts both on free ports and exports the endpoints, region and dummy
# credentials that the service, the tests and mailkeys-admin read. Their
# logs go to $LOCAL_AWS_LOGS when set (make dev's own folder), else to a
# folder of this instance's own, removed when it stops: two instances never
# share a file.
start_local_aws() {
  local dynamodb_port moto_port logs
  if [ -n "${LOCAL_AWS_LOGS:-}" ]; then
    mkdir -p "$LOCAL_AWS_LOGS"
    LOCAL_AWS_OWN_LOGS=""
  else
    mkdir -p .local/instances
    LOCAL_AWS_LOGS=$(mktemp -d "$(pwd)/.local/instances/aws.XXXXXX")
    LOCAL_AWS_OWN_LOGS=$LOCAL_AWS_LOGS
  fi
  logs=$(cd "$LOCAL_AWS_LOGS" && pwd)
  dynamodb_port=$(free_port)
  moto_port=$(free_port)
  (cd .local/dynamodb-local && exec java -Djava.library.path=./DynamoDBLocal_lib \
    -Xmx64m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
    -jar DynamoDBLocal.jar -inMemory -sharedDb -disableTelemetry -port "$dynamodb_port") \
    > "$logs/dynamodb-local.log" 2>&1 &
  LOCAL_AWS_PIDS="$!"
  .local/venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" > "$logs/moto.log" 2>&1 &
  LOCAL_AWS_PIDS="$LOCAL_AWS_PIDS $!"
  wait_for_http "$dynamodb_port" "${LOCAL_AWS_PIDS%% *}" "$logs/dynamodb-local.log" \
    || { echo "DynamoDB Local did not start (log above)" >&2; return 1; }
  wait_for_http "$moto_port" "${LOCAL_AWS_PIDS##* }" "$logs/moto.log" \
    || { echo "moto did not start (log above)" >&2; return 1; }
  export AWS_ENDPOINT_URL="http://127.0.0.1:$moto_port"
  export AWS_ENDPOINT_URL_DYNAMODB="http://127.0.0.1:$dynamodb_port"
  export AWS_ENDPOINT_URL_DYNAMODB_STREAMS="http://127.0.0.1:$dynamodb_port"
  export AWS_REGION=us-east-1 AWS_ACCESS_KEY_ID=local AWS_SECRET_ACCESS_KEY=local
}

stop_local_aws() {
  # shellcheck disable=SC2086
  [ -n "${LOCAL_AWS_PIDS:-}" ] && kill $LOCAL_AWS_PIDS 2>/dev/null
  wait 2>/dev/null || true
  [ -n "${LOCAL_AWS_OWN_LOGS:-}" ] && rm -rf "$LOCAL_AWS_OWN_LOGS"
  return 0
}
