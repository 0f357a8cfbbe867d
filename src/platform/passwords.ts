import { randomInt } from 'node:crypto';

const upper = 'ABCDEFGHJKLMNPQRSTUVWXYZ';
const lower = 'abcdefghijkmnopqrstuvwxyz';
const digits = '23456789';
// Specials accepted by ECS adminPass rules and harmless in shells, URLs and YAML.
const special = '@%^-_=+';

/**
 * A password meeting Huawei ECS complexity (8–26 characters, all four character classes) and most
 * application rules. Ambiguous characters (0/O, 1/l/I) are left out for buyers who type it.
 */
export function generatePassword(length = 16): string {
  if (length < 8 || length > 26) throw new Error('password length must be 8..26');
  const all = upper + lower + digits + special;
  const chars = [upper, lower, digits, special].map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}
