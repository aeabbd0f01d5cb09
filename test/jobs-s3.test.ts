// Jobs on an s3:// store (a loopback s3rver behind the conditional-PUT guard): the suite in
// test/fixtures/jobs-suite.ts.
import { jobsSuite } from "./fixtures/jobs-suite.ts";

jobsSuite("s3");
