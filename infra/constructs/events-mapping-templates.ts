/**
 * The API Gateway mapping templates (VTL) of `POST /v1/events`, which writes to Kinesis with no Lambda in the
 * path. Plain strings, free of CDK: the construct deploys them and the local server renders the very same
 * templates (with velocityjs and API Gateway's `$input`, `$util` and `$context`), so a local test of the route is
 * a test of these templates.
 *
 * Request: one PutRecords record per event, its data the event's JSON as sent (`$input.json`, so numbers and
 * text survive as the producer wrote them), its partition key the series. `?dryRun=true` is refused here
 * (a method has one integration, and this one writes): the template sends Kinesis an empty record list, which
 * Kinesis rejects without writing, and the 4xx template points to `POST /v1/events/dry-run`.
 *
 * Response: Kinesis answers 200 even when records fail; the template turns `FailedRecordCount` and each record's
 * `ErrorCode` into `{accepted, failed, results: [{index, status, reason?}]}` with a status that says what to do:
 * 200 all accepted; 207 some failed (retry only those); 429 all throttled and 503 all failed otherwise (retry all,
 * `Retry-After: 1`).
 */

/** The value of `dryRun` that asks for a dry run (`true`, or present with any value but `false`). */
const DRY_RUN_ASKED = "#set($dryRun = $input.params('dryRun'))";

/** Request template: the `{events: [...]}` body to a PutRecords request on `streamName`. */
export function putRecordsRequestTemplate(streamName: string): string {
  return [
    DRY_RUN_ASKED,
    "#if($dryRun != '' && $dryRun != 'false')",
    `{"StreamName":"${streamName}","Records":[]}`,
    '#else',
    `{"StreamName":"${streamName}","Records":[#foreach($event in $input.path('$.events')){"Data":"$util.base64Encode($input.json("$.events[$foreach.index]"))","PartitionKey":$input.json("$.events[$foreach.index].series")}#if($foreach.hasNext),#end#end]}`,
    '#end',
  ].join('\n');
}

const DRY_RUN_MESSAGE =
  '{"message":"dryRun is answered by POST /v1/events/dry-run, which returns the events as the detector reads them and the reasons any would be refused; nothing was written"}';

/**
 * Response template for Kinesis' 200: per-event results and the status that tells the caller what to retry.
 * A dry run asked of this route sent no record; it is answered 400 here too, for a stream that accepts an empty
 * PutRecords (kinesis-mock does; Kinesis answers 400 and the client-error template says the same).
 */
export const PUT_RECORDS_RESPONSE_TEMPLATE = [
  DRY_RUN_ASKED,
  "#if($dryRun != '' && $dryRun != 'false')",
  '#set($context.responseOverride.status = 400)',
  DRY_RUN_MESSAGE,
  '#else',
  "#set($r = $input.path('$'))",
  '#set($failed = $r.FailedRecordCount)',
  '#set($total = $r.Records.size())',
  '#set($accepted = $total - $failed)',
  '#if($failed > 0 && $failed == $total)',
  '#set($throttled = 0)',
  "#foreach($record in $r.Records)#if($record.ErrorCode == 'ProvisionedThroughputExceededException')#set($throttled = $throttled + 1)#end#end",
  '#if($throttled == $total)#set($context.responseOverride.status = 429)#else#set($context.responseOverride.status = 503)#end',
  '#set($context.responseOverride.header.Retry-After = "1")',
  '#elseif($failed > 0)',
  '#set($context.responseOverride.status = 207)',
  '#end',
  `{"accepted":$accepted,"failed":$failed,"results":[#foreach($record in $r.Records){"index":$foreach.index,#if("$!record.ErrorCode" != "")"status":"failed","reason":"$util.escapeJavaScript($record.ErrorCode): $util.escapeJavaScript($record.ErrorMessage).replaceAll("\\\\'","'")"#else"status":"accepted"#end}#if($foreach.hasNext),#end#end]}`,
  '#end',
].join('\n');

/** Response template for a Kinesis 4xx: a dry run asked of this route, or the request Kinesis refused. */
export const CLIENT_ERROR_RESPONSE_TEMPLATE = [
  DRY_RUN_ASKED,
  "#if($dryRun != '' && $dryRun != 'false')",
  DRY_RUN_MESSAGE,
  '#else',
  `{"message":"the stream refused the request: $util.escapeJavaScript($input.path('$.__type')): $util.escapeJavaScript($input.path('$.message')).replaceAll("\\\\'","'")"}`,
  '#end',
].join('\n');

/** Response template for a Kinesis 5xx: nothing was written, retry the whole request. */
export const SERVER_ERROR_RESPONSE_TEMPLATE =
  '{"message":"the stream is unavailable; nothing was written: retry the request"}';
