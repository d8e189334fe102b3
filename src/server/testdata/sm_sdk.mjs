// The JS SDK v3 (@aws-sdk/client-sfn) against the server: create, describe, list, a modeled
// error. usage: node sm_sdk.mjs ENDPOINT   (NODE_PATH at the SDK's node_modules; see testing.h)
import { createRequire } from "module";
const require = createRequire(import.meta.url);
const sfn = require("@aws-sdk/client-sfn");

const client = new sfn.SFNClient({
  endpoint: process.argv[2], region: "us-east-1", maxAttempts: 1,
  credentials: { accessKeyId: "test", secretAccessKey: "test" },
});
const definition = JSON.stringify({ StartAt: "P", States: { P: { Type: "Pass", End: true } } });
const out = {};
const created = await client.send(new sfn.CreateStateMachineCommand({
  name: "js-machine", definition, roleArn: "arn:aws:iam::123456789012:role/stepfn-test",
  publish: true,
}));
out.arn = created.stateMachineArn;
out.version = created.stateMachineVersionArn;
out.creationDateIsDate = created.creationDate instanceof Date;
out.creationYear = created.creationDate.getUTCFullYear();
const described = await client.send(new sfn.DescribeStateMachineCommand({ stateMachineArn: created.stateMachineArn }));
out.name = described.name;
out.status = described.status;
const listed = await client.send(new sfn.ListStateMachinesCommand({ maxResults: 10 }));
out.listed = listed.stateMachines.map((m) => m.name);
try {
  await client.send(new sfn.DescribeStateMachineCommand({
    stateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:missing" }));
} catch (e) {
  out.errorName = e.name;
  out.errorIsModeled = e instanceof sfn.StateMachineDoesNotExist;
  out.errorMessage = e.message;
}
try {
  await client.send(new sfn.CreateActivityCommand({ name: "bad name" }));
} catch (e) {
  out.invalidName = e.name;
}
process.stdout.write(JSON.stringify(out));
