// Tokenizer training: a WordPiece vocabulary from titles + queries, saved with each checkpoint. The
// encode side (Tokenizer, pretokenize) is inference code and lives in encoders/.
export { trainTokenizer, type TrainTokenizerOptions } from "./train-tokenizer.ts";
