// Jobs on an az:// store (a loopback Azurite): the suite in test/fixtures/jobs-suite.ts.
import { jobsSuite } from "./fixtures/jobs-suite.ts";

jobsSuite("az");
