// Two replicas on a gs:// store (the loopback GCS of test/support/loopback-gcs.ts): the suite in test/fixtures/replicas-suite.ts.
import { replicasSuite } from "./fixtures/replicas-suite.ts";

replicasSuite("gs");
