// LanceDB's native logger prints a WARN for every table it creates ("No existing dataset ... it
// will be created"), which buries progress bars. Errors still show; LANCEDB_LOG overrides.
process.env.LANCEDB_LOG ??= "error";
