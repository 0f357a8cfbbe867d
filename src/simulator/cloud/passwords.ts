/**
 * ECS `adminPass` rules (huawei-cloud.md §5.7, the PostPaidServer model docs), answered 400
 * Ecs.0011: 8-26 characters; letters, digits and `!@$%^-_=+[{}]:,./?` only; at least three of
 * upper case, lower case, digits, specials; not containing the user name (`root`) or its reverse
 * (`toor`). Returns the reason it is refused, if it is.
 */
const specials = '!@$%^-_=+[{}]:,./?';

export function passwordProblem(pw: string, user = 'root'): string | undefined {
  if (pw.length < 8 || pw.length > 26) return 'The password length must range from 8 to 26.';
  if ([...pw].some((c) => !/[A-Za-z0-9]/.test(c) && !specials.includes(c)))
    return `The password may contain letters, digits and ${specials} only.`;
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(pw)).length;
  if (classes < 3) {
    return 'The password must contain at least three of: upper-case letters, lower-case letters, digits and special characters.';
  }
  const lower = pw.toLowerCase();
  const reversed = [...user].reverse().join('');
  if (lower.includes(user) || lower.includes(reversed))
    return `The password cannot contain the username or the username in reverse order (${user}, ${reversed}).`;
  return undefined;
}
