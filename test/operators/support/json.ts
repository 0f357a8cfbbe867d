/** A response's JSON body, loosely typed: the assertions say what it must hold. */
// biome-ignore lint/suspicious/noExplicitAny: test assertions read arbitrary JSON
export const json = async (res: Response): Promise<any> => res.json();
