#!/bin/sh
# npm's "prepare" in a clone: build dist/ with the TypeScript compiler. `npm install -g .`
# runs this before the development dependencies are installed, so fetch them first.
set -e
cd "$(dirname "$0")/.."
if [ ! -x node_modules/.bin/tsc ]; then
  npm install --location=project --no-global --include=dev --ignore-scripts --no-save --no-audit --no-fund
fi
node_modules/.bin/tsc -p tsconfig.json
