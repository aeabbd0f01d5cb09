// English plural folding, shared by the lexicon and the lexical index so "dresses" in a query
// meets the "Dresses" category and a title's "dress" alike.

/** Fold an English plural term to its singular ("dresses" → "dress"); short words and -ss endings stay ("bus", "dress"). */
export function fold(term: string): string {
  if (term.length <= 3 || !/^[a-z]+$/.test(term)) return term;
  if (term.endsWith("ies") && term.length > 4) return `${term.slice(0, -3)}y`;
  if (/(ss|x|ch|sh)es$/.test(term)) return term.slice(0, -2);
  if (term.endsWith("s") && !term.endsWith("ss")) return term.slice(0, -1);
  return term;
}
