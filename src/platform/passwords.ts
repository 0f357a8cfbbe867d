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
  // Drawn again in the rare case it spells root or toor, which ECS refuses.
  for (;;) {
    const password = draw(length);
    if (!ecsPasswordProblem(password)) return password;
  }
}

function draw(length: number): string {
  const all = upper + lower + digits + special;
  const chars = [upper, lower, digits, special].map((set) => set[randomInt(set.length)]!);
  while (chars.length < length) chars.push(all[randomInt(all.length)]!);
  for (let i = chars.length - 1; i > 0; i--) {
    const j = randomInt(i + 1);
    [chars[i], chars[j]] = [chars[j]!, chars[i]!];
  }
  return chars.join('');
}

/** The special characters ECS accepts in `adminPass` (huawei-cloud.md §5.7); nothing else is. */
const ecsPasswordSpecials = '!@$%^-_=+[{}]:,./?';

/**
 * Why ECS would refuse this root password (400 Ecs.0011), or undefined: 8-26 characters of
 * letters, digits and `!@$%^-_=+[{}]:,./?` only, at least three of upper case, lower case, digits
 * and specials, and not containing the user name or its reverse (`root`, `toor`). Checked before
 * any call, for generated passwords and for the ones buyers type.
 *
 * @example
 *   ecsPasswordProblem('Root-Pass-2026') // 'must not contain the user name root or its reverse'
 */
export function ecsPasswordProblem(password: string, user = 'root'): string | undefined {
  if (typeof password !== 'string' || password.length < 8 || password.length > 26)
    return 'must be 8 to 26 characters long';
  const bad = [...password].filter(
    (c) => !/[A-Za-z0-9]/.test(c) && !ecsPasswordSpecials.includes(c),
  );
  if (bad.length > 0)
    return `may contain letters, digits and ${ecsPasswordSpecials} only, not ${JSON.stringify([...new Set(bad)].join(''))}`;
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(password));
  if (classes.length < 3)
    return 'needs three of: upper-case letters, lower-case letters, digits, special characters';
  const lowered = password.toLowerCase();
  const name = user.toLowerCase();
  const reversed = [...name].reverse().join('');
  if (lowered.includes(name) || lowered.includes(reversed))
    return `must not contain the user name ${user} or its reverse (${reversed})`;
  return undefined;
}
