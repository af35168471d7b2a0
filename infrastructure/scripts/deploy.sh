#!/usr/bin/env bash
# Deploys one environment: synthesises it with its S3 state backend, then terraform init + apply
# in cdktf.out/stacks/<env>. Needs AWS credentials for the environment's account in the usual
# AWS_* variables or profile, and SLUICE_STATE_BUCKET (an existing, versioned S3 bucket).
# Optional: SLUICE_STATE_REGION, SLUICE_<ENV>_ACCOUNT_ID, SLUICE_BACKEND_CONFIG (a file of extra
# -backend-config settings, e.g. role_arn or kms_key_id), SLUICE_AUTO_APPROVE=true for CI.
set -euo pipefail
env_name="${1:?usage: deploy.sh dev|prod}"
case "$env_name" in dev | prod) ;; *) echo "unknown environment: $env_name" >&2; exit 2 ;; esac
if [ -z "${SLUICE_STATE_BUCKET:-}" ]; then
  echo "SLUICE_STATE_BUCKET is not set: refusing to deploy $env_name with local state" >&2
  exit 2
fi
cd "$(dirname "$0")/.."

# A fresh synth, so the S3 backend and account come from this shell, not a cached build.
npx tsx src/main.ts
stack_dir="cdktf.out/stacks/$env_name"

init_args=(-input=false)
[ -n "${SLUICE_BACKEND_CONFIG:-}" ] && init_args+=("-backend-config=$SLUICE_BACKEND_CONFIG")
terraform -chdir="$stack_dir" init "${init_args[@]}"

apply_args=(-input=false)
[ "${SLUICE_AUTO_APPROVE:-false}" = "true" ] && apply_args+=(-auto-approve)
terraform -chdir="$stack_dir" apply "${apply_args[@]}"
