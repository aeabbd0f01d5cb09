// WordPiece tokenizer: trained from titles + queries, saved with each checkpoint.
export { trainTokenizer, type TrainTokenizerOptions } from "./train-tokenizer.ts";
export { Tokenizer, SPECIAL_TOKENS, SPECIAL_PIECES, TOKENIZER_FORMAT, type TokenizerJson, type TokenizerStats } from "./tokenizer.ts";
export { pretokenize } from "./pretokenize.ts";
