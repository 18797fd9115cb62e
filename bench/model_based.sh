#!/usr/bin/env bash
# A longer run of the model-based lifecycle test (CI runs 8 examples): random operation sequences, checking
# after every step that the public truth is what the signed records support and the audit trail verifies.
#   bench/model_based.sh            300 examples on PostgreSQL, a new random seed
#   MODEL_EXAMPLES=1000 bench/model_based.sh --hypothesis-seed=7
set -euo pipefail
cd "$(dirname "$0")/.."
export DJANGO_ALLOW_ASYNC_UNSAFE=true
DATABASE_URL=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/editorial} MODEL_EXAMPLES=${MODEL_EXAMPLES:-300} \
  .venv/bin/pytest -p no:cacheprovider -q -s tests/workflow/test_model_based.py "$@" 2>&1 | grep -v "^Gone:"
