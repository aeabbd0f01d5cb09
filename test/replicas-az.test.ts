// Two replicas on an az:// store (a loopback Azurite): the suite in test/fixtures/replicas-suite.ts.
import { replicasSuite } from "./fixtures/replicas-suite.ts";

replicasSuite("az");
