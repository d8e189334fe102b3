// echo-node: a Lambda function (runtime nodejs20.x, handler index.handler) that answers its event.
export const handler = async (event) => event;
