// Jobs on a gs:// store (the loopback GCS of test/support/loopback-gcs.ts): the suite in test/fixtures/jobs-suite.ts.
import { jobsSuite } from "./fixtures/jobs-suite.ts";

jobsSuite("gs");
