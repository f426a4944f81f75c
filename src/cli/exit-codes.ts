/**
 * Exit codes, in one place (README "Exit codes").
 * probe / verify / nginx: 0 nginx would succeed, 1 it would fail (diagnosed), 2 bad usage or unreadable input,
 * 3 internal error. check follows the monitoring-plugin convention instead: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
 */
export const EXIT = {
  OK: 0,
  NGINX_WOULD_FAIL: 1,
  USAGE: 2,
  INTERNAL: 3,
} as const;

export const MONITORING_EXIT = {
  OK: 0,
  WARNING: 1,
  CRITICAL: 2,
  UNKNOWN: 3,
} as const;
