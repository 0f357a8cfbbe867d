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
 * The first string (object key or value, at any depth) that cannot be stored, and its path; or
 * undefined when everything can.
 *
 * @example firstUnstorable({ order: { id: 'a\u0000b' } })?.path === 'order.id'
 */
export function firstUnstorable(value: unknown): { path: string; text: string } | undefined {
  return findString(value, (s) => !isStorable(s));
}

/** The first string (key or value, depth first) that `matches`, and its path. */
export function findString(
  value: unknown,
  matches: (s: string) => boolean,
): { path: string; text: string } | undefined {
  // An explicit stack: a hostile value may nest deeper than the call stack.
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      if (matches(v)) return { path: path || '(value)', text: v };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], `${path}[${i}]`]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, child] = entries[i]!;
        const at = path ? `${path}.${shown(k)}` : shown(k);
        if (matches(k)) return { path: at, text: k };
        stack.push([child, at]);
      }
    }
  }
  return undefined;
}
