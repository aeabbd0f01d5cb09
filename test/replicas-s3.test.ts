// Two replicas on an s3:// store (a loopback s3rver behind the conditional-PUT guard): the suite in
// test/fixtures/replicas-suite.ts.
import { replicasSuite } from "./fixtures/replicas-suite.ts";

replicasSuite("s3");
