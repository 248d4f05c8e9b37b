#!/usr/bin/env bash
# Writes the notification secrets that deploy/alertmanager/alertmanager.yml
# reads with `api_url_file` / `routing_key_file`, from the environment.
# Alertmanager does not expand ${VARS} in its configuration, so this runs
# before Alertmanager starts (an init container, a systemd ExecStartPre=, or
# by hand):
#
#   SLACK_WEBHOOK_URL=https://hooks.slack.com/services/... \
#   PAGERDUTY_ROUTING_KEY=... \
#   deploy/alertmanager/render-secrets.sh
#
# SECRETS_DIR (default /etc/alertmanager/secrets) is where the files go; the
# configuration points at the default, change both together. The files are
# created mode 0600 and are never printed; run the script as the user
# Alertmanager runs as, or set SECRETS_OWNER (e.g. prometheus:prometheus, the
# Debian package's user) when running it as root.
set -euo pipefail

dir="${SECRETS_DIR:-/etc/alertmanager/secrets}"
missing=()
[ -n "${SLACK_WEBHOOK_URL:-}" ] || missing+=(SLACK_WEBHOOK_URL)
[ -n "${PAGERDUTY_ROUTING_KEY:-}" ] || missing+=(PAGERDUTY_ROUTING_KEY)
if [ "${#missing[@]}" -gt 0 ]; then
  echo "render-secrets: set ${missing[*]} in the environment" >&2
  exit 1
fi

umask 077
mkdir -p "$dir"

# Write to a temporary file and rename, so Alertmanager never reads half a secret.
write_secret() {
  local name="$1" value="$2" tmp
  tmp="$(mktemp "$dir/.$name.XXXXXX")"
  printf '%s' "$value" >"$tmp"
  chmod 0600 "$tmp"
  if [ -n "${SECRETS_OWNER:-}" ]; then chown "$SECRETS_OWNER" "$tmp"; fi
  mv -f "$tmp" "$dir/$name"
}

write_secret slack-api-url "$SLACK_WEBHOOK_URL"
write_secret pagerduty-routing-key "$PAGERDUTY_ROUTING_KEY"
echo "render-secrets: wrote slack-api-url and pagerduty-routing-key to $dir"
