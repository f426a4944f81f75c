/**
 * HTML text and attribute values from hostile strings (certificate subjects, server errors, targets files): the
 * five characters that can end a text node or a quoted attribute value (HTML Living Standard 13.1.2.3 and 13.2.5,
 * the same set OWASP's XSS prevention rule #1 escapes), after a length bound, so a kilobyte subject cannot bloat
 * the page and a cut can never split an entity.
 */
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** The longest foreign string shown by default. */
export const MAX_SHOWN = 300;

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITY[c]!);
}

/** Bounded to `max` characters (an ellipsis marks the cut), then escaped. */
export function htmlText(text: string, max = MAX_SHOWN): string {
  return escapeHtml(text.length > max ? `${text.slice(0, max - 1)}…` : text);
}
