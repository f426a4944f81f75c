/**
 * The CI-gate options shared by `tlsdoctor nginx` and `tlsdoctor lint` (parsed in lint-gate.ts). Kept apart from
 * lint-gate.ts so that main.ts loads commander wiring only, not the renderers.
 */
import type { Command } from 'commander';

export function addLintGateOptions(cmd: Command): Command {
  return cmd
    .option('--format <format>', 'text, json, sarif (SARIF 2.1.0, for code scanning) or junit (JUnit XML)')
    .option('--fail-on <severity>', 'exit 1 when a configuration check of this severity or worse holds: error, warning or info', 'error')
    .option('--sarif-root <dir>', 'SARIF/JUnit file paths are relative to this directory (the repository root; default: the current directory)')
    .option('--warn <duration>', 'TRUSTED_ANCHOR_EXPIRES_SOON when a root of a trusted bundle expires within this (30d, 12h; bare number = days; 0 = off)', '30d');
}

export const LINT_GATE_HELP = `
Exit codes: 0 nothing at or above --fail-on (and nginx would start, and every probed upstream would succeed),
1 a check at or above --fail-on, a configuration nginx refuses to start with, or a failing upstream,
2 bad usage, unreadable input or a configuration nginx cannot parse, 3 internal error.
Inline suppression, on the directive's line or the line above: # tlsdoctor: allow RULE_ID -- reason`;
