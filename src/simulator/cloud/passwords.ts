/**
 * ECS password rules (Ecs.0011): 8-26 characters, at least three of upper case, lower case,
 * digits and the special characters ECS accepts. Returns the reason it is refused, if it is.
 */
export function passwordProblem(pw: string): string | undefined {
  if (pw.length < 8 || pw.length > 26) return 'The password length must range from 8 to 26.';
  const specials = /[~!@$%^\-_=+[{}\]:,./?#*()&|`'";<>\\ ]/;
  if (/[^\x21-\x7e ]/.test(pw)) return 'The password contains characters that are not allowed.';
  const classes = [/[A-Z]/, /[a-z]/, /[0-9]/, specials].filter((re) => re.test(pw)).length;
  if (classes < 3) {
    return 'The password must contain at least three of: upper-case letters, lower-case letters, digits and special characters.';
  }
  return undefined;
}
