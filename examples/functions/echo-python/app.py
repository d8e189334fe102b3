# echo-python: a Lambda function (runtime python3.12, handler app.handler) that answers its event.
def handler(event, context):
    return event
