#!/usr/bin/env bash
# Installs the dashboard's third-party browser code at the versions pinned in
# Scheduler.Service/Dashboard/vendor/package-lock.json and copies the files the page loads, with their licences, into
# Scheduler.Service/Dashboard/assets/vendor/ (embedded in the service and served from memory like the rest).
# To move to another version: change it in vendor/package.json, run `npm install --package-lock-only` there, then this.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
vendor="$root/Scheduler.Service/Dashboard/vendor"
assets="$root/Scheduler.Service/Dashboard/assets/vendor"

cd "$vendor"
npm ci --ignore-scripts --no-audit --no-fund
mkdir -p "$assets"
# The browser build is one self-contained script (jwt-decode bundled in) that defines the global `oidc`.
cp node_modules/oidc-client-ts/dist/browser/oidc-client-ts.min.js "$assets/oidc-client-ts.min.js"
cp node_modules/oidc-client-ts/LICENSE "$assets/oidc-client-ts.LICENSE"
cp node_modules/jwt-decode/LICENSE "$assets/jwt-decode.LICENSE"
# uPlot draws the statistics view's charts: the minified browser build defines the global `uPlot`; its stylesheet is
# loaded by index.html (the page's CSP allows styles from this origin only, and uPlot sets the rest through the CSSOM).
cp node_modules/uplot/dist/uPlot.iife.min.js "$assets/uPlot.iife.min.js"
cp node_modules/uplot/dist/uPlot.min.css "$assets/uPlot.min.css"
cp node_modules/uplot/LICENSE "$assets/uPlot.LICENSE"
for package in oidc-client-ts uplot; do
  version="$(node -p "require('./node_modules/$package/package.json').version")"
  echo "$package $version copied to ${assets#"$root"/}"
done
rm -rf node_modules
