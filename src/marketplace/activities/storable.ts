/**
 * PostgreSQL text cannot hold a NUL character, and its jsonb refuses an unpaired UTF-16 surrogate
 * (`"\ud800"`): a call carrying either is malformed (000002), never a storage failure (000005)
 * the marketplace would retry for hours.
 */
export function isStorable(s: string): boolean {
  return !s.includes('\u0000') && s.isWellFormed();
}

/** Printable form of an unstorable name, for messages. */
export function shown(s: string, max = 40): string {
  return s.replaceAll('\u0000', '\\0').toWellFormed().slice(0, max);
}

/**
 * The path of the first string (object key or value, at any depth) that cannot be stored, or
 * undefined when everything can.
 *
 * @example unstorablePath({ order: { id: 'a\u0000b' } }) === 'order.id'
 */
export function unstorablePath(value: unknown, path = ''): string | undefined {
  if (typeof value === 'string') return isStorable(value) ? undefined : path || '(value)';
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = unstorablePath(value[i], `${path}[${i}]`);
      if (found) return found;
    }
    return undefined;
  }
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      const at = path ? `${path}.${shown(k)}` : shown(k);
      if (!isStorable(k)) return at;
      const found = unstorablePath(v, at);
      if (found) return found;
    }
  }
  return undefined;
}
