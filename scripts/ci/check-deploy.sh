#!/usr/bin/env bash
# Validates everything under deploy/: Prometheus configuration and rules (with
# their unit tests), Alertmanager configuration and routing, the secrets
# script, and the Grafana files. Exits non-zero when any check fails, after
# running all of them.
set -uo pipefail
cd "$(dirname "$0")/../.."

failures=0
step() {
  local name="$1"
  shift
  echo "--- $name"
  if "$@"; then
    echo "    ok"
  else
    echo "    FAILED: $name" >&2
    failures=$((failures + 1))
  fi
}

for bin in promtool amtool node; do
  if ! command -v "$bin" >/dev/null 2>&1; then
    echo "check-deploy: $bin not found; run scripts/ci/install-tools.sh" >&2
    exit 1
  fi
done

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

step "promtool check config" promtool check config deploy/prometheus/prometheus.yml
step "promtool check rules" promtool check rules deploy/prometheus/alerts.yml
step "promtool test rules" promtool test rules deploy/prometheus/alerts.test.yml
step "amtool check-config" amtool check-config deploy/alertmanager/alertmanager.yml

# Every alert must reach the receiver its severity promises: page -> PagerDuty,
# anything else -> Slack. The alerts are read from the rule file, so a new
# alert is checked without editing this script.
check_routes() {
  local alerts ok=0 name severity team expected
  alerts="$(node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { parse } from 'yaml';
    const doc = parse(readFileSync('deploy/prometheus/alerts.yml', 'utf8'));
    for (const group of doc.groups) for (const rule of group.rules) {
      if (rule.alert) console.log([rule.alert, rule.labels?.severity ?? '', rule.labels?.team ?? ''].join(' '));
    }")" || return 1
  [ -n "$alerts" ] || { echo "no alerts found in deploy/prometheus/alerts.yml" >&2; return 1; }
  while read -r name severity team; do
    if [ "$severity" = page ]; then expected=tollgate-pagerduty; else expected=tollgate-slack; fi
    if amtool config routes test --config.file=deploy/alertmanager/alertmanager.yml --verify.receivers="$expected" \
      "alertname=$name" "severity=$severity" "team=$team" >/dev/null 2>"$tmp/amtool.err"; then
      echo "    $name (severity=$severity) -> $expected"
    else
      echo "    $name (severity=$severity) does not route to $expected" >&2
      ok=1
    fi
  done <<<"$alerts"
  return "$ok"
}
step "alert routing" check_routes

# Render every templated notification field (Slack title/text, PagerDuty
# description/details) with a sample firing alert: amtool check-config only
# parses them, a wrong field name would otherwise surface at 3 a.m.
check_templates() {
  cat >"$tmp/alert-data.json" <<'EOF'
{"receiver":"tollgate-slack","status":"firing",
 "alerts":[{"status":"firing","labels":{"alertname":"TollgateHighErrorRate","severity":"ticket","team":"tollgate"},
   "annotations":{"summary":"Tollgate error rate is 6%","description":"6% of LLM calls failed","runbook":"docs/observability.md#tollgatehigherrorrate"},
   "startsAt":"2026-01-01T00:00:00Z","endsAt":"0001-01-01T00:00:00Z","generatorURL":"http://127.0.0.1:9090/graph","fingerprint":"0123456789abcdef"}],
 "groupLabels":{"alertname":"TollgateHighErrorRate"},
 "commonLabels":{"alertname":"TollgateHighErrorRate","severity":"ticket","team":"tollgate"},
 "commonAnnotations":{"summary":"Tollgate error rate is 6%","description":"6% of LLM calls failed","runbook":"docs/observability.md#tollgatehigherrorrate"},
 "externalURL":"http://127.0.0.1:9093"}
EOF
  : >"$tmp/empty.tmpl"
  TMP="$tmp" node --input-type=module -e "
    import { execFileSync } from 'node:child_process';
    import { readFileSync } from 'node:fs';
    import { parse } from 'yaml';
    const doc = parse(readFileSync('deploy/alertmanager/alertmanager.yml', 'utf8'));
    const fields = [];
    const collect = (value, path) => {
      if (typeof value === 'string') { if (value.includes('{{')) fields.push([path, value]); }
      else if (value && typeof value === 'object') for (const [k, v] of Object.entries(value)) collect(v, path + '.' + k);
    };
    for (const receiver of doc.receivers ?? []) collect(receiver, receiver.name);
    let failed = false;
    for (const [path, text] of fields) {
      try {
        const out = execFileSync('amtool', ['template', 'render', '--template.glob=' + process.env.TMP + '/empty.tmpl',
          '--template.data=' + process.env.TMP + '/alert-data.json', '--template.text=' + text], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
        if (out.trim() === '' || out.includes('<no value>')) { console.error(path + ': renders as ' + JSON.stringify(out)); failed = true; }
        else console.log('    ' + path + ': ' + JSON.stringify(out.length > 80 ? out.slice(0, 77) + '...' : out));
      } catch (error) { console.error(path + ': ' + (error.stderr || error.message)); failed = true; }
    }
    if (fields.length === 0) { console.error('no templated notification fields found'); failed = true; }
    process.exit(failed ? 1 : 0);"
}
step "notification templates" check_templates

check_secrets_script() {
  SECRETS_DIR="$tmp/secrets" SLACK_WEBHOOK_URL="https://hooks.slack.invalid/placeholder" PAGERDUTY_ROUTING_KEY="placeholder" \
    deploy/alertmanager/render-secrets.sh >/dev/null || return 1
  [ "$(cat "$tmp/secrets/slack-api-url")" = "https://hooks.slack.invalid/placeholder" ] || return 1
  [ "$(cat "$tmp/secrets/pagerduty-routing-key")" = "placeholder" ] || return 1
  # Without the variables it must refuse rather than write empty secrets.
  if env -u SLACK_WEBHOOK_URL -u PAGERDUTY_ROUTING_KEY SECRETS_DIR="$tmp/none" deploy/alertmanager/render-secrets.sh 2>/dev/null; then
    return 1
  fi
  # The configuration must read the files the script writes.
  grep -q 'api_url_file: /etc/alertmanager/secrets/slack-api-url' deploy/alertmanager/alertmanager.yml &&
    grep -q 'routing_key_file: /etc/alertmanager/secrets/pagerduty-routing-key' deploy/alertmanager/alertmanager.yml
}
step "render-secrets.sh" check_secrets_script

check_grafana() {
  node --input-type=module -e "
    import { readFileSync } from 'node:fs';
    import { parse } from 'yaml';
    const file = 'deploy/grafana/dashboards/tollgate.json';
    let dashboard;
    try { dashboard = JSON.parse(readFileSync(file, 'utf8')); }
    catch (error) { console.error(file + ': ' + error.message); process.exit(1); }
    if (dashboard.uid !== 'tollgate-overview') { console.error(file + ': uid must be tollgate-overview'); process.exit(1); }
    for (const yml of ['deploy/grafana/provisioning/datasources/prometheus.yml', 'deploy/grafana/provisioning/dashboards/tollgate.yml']) {
      const doc = parse(readFileSync(yml, 'utf8'));
      if (doc?.apiVersion !== 1) { console.error(yml + ': apiVersion 1 expected'); process.exit(1); }
    }"
}
step "grafana dashboard JSON and provisioning YAML" check_grafana

if [ "$failures" -gt 0 ]; then
  echo "check-deploy: $failures check(s) failed" >&2
  exit 1
fi
echo "check-deploy: all checks passed"
