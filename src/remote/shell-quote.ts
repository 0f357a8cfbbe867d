/** Quotes one word for a POSIX shell: single quotes, with embedded quotes closed and escaped. */
export function shellQuote(word: string): string {
  if (word.includes('\0')) throw new Error('a shell word cannot contain a NUL byte');
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
