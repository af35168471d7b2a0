export { type LocalS3, startLocalS3 } from "../../src/testing/local-s3";
