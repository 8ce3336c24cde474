import { Duration } from 'aws-cdk-lib';
import { SubnetType } from 'aws-cdk-lib/aws-ec2';
import { FargatePlatformVersion } from 'aws-cdk-lib/aws-ecs';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import {
  Choice,
  Condition,
  Fail,
  type IChainable,
  IntegrationPattern,
  JsonPath,
  Map as MapState,
  Pass,
  Succeed,
  TaskInput,
  type TaskStateBase,
  Timeout,
  Wait,
  WaitTime,
} from 'aws-cdk-lib/aws-stepfunctions';
import {
  EcsFargateLaunchTarget,
  EcsRunTask,
  LambdaInvoke,
  SnsPublish,
} from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import type { FargateTraining } from './retraining-fargate.ts';

/**
 * Errors worth retrying: Lambda's own service errors and the throttling or outage errors of S3, DynamoDB and
 * CloudWatch that the steps let through. Anything else (bad data, a gate refusal, a lost promotion race)
 * would fail the same way again, so it goes straight to the Catch.
 */
export const TRANSIENT_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'InternalError',
  'ServiceUnavailable',
  'SlowDown',
  'TimeoutError',
];

/** The states whose work is done outside Lambda in tests: bind them to local functions by these names. */
export const NOTIFY_STATES = [
  'notify-failure',
  'notify-rejected',
  'notify-promoted',
  'notify-rolled-back',
] as const;

/** What the definition is built from. */
export interface RetrainingDefinitionProps {
  readonly steps: IFunction;
  readonly opsTopic: ITopic;
  /** Map concurrency of feature extraction. */
  readonly maxConcurrency: number;
  /** When given, the autoencoder trains on every row in this Fargate task instead of a sample in Lambda. */
  readonly fargate?: FargateTraining;
}

/**
 * The retraining state machine (JSONPath): plan → extract features (Map over shards, bounded concurrency, a
 * failed shard caught and left out) → train (Map over algorithms) → evaluate → gate (Choice) → register →
 * challenger → shadow (Wait) → promote → watch (Wait, then compare) → rollback on breach. Every Task retries
 * transient errors and catches everything else into a notification on the ops topic. Only S3 keys and small
 * summaries travel in the state.
 */
export function retrainingDefinition(scope: Construct, props: RetrainingDefinitionProps): IChainable {
  const failed = new Fail(scope, 'failed', { error: 'Seismo.RetrainFailed', causePath: '$.error.Cause' });
  const notifyFailure = notify(scope, props.opsTopic, 'notify-failure', 'Seismo retraining failed', {
    run: JsonPath.executionName,
    error: JsonPath.stringAt('$.error.Error'),
    cause: JsonPath.stringAt('$.error.Cause'),
  });
  notifyFailure.addCatch(failed, { resultPath: '$.notifyError' }).next(failed);

  // No ResultPath means "the result replaces the input" (as "$" would; the local runner mistakes "$" for a key).
  const step = (id: string, payload: Record<string, unknown>, resultPath?: string) => {
    const task = new LambdaInvoke(scope, id, {
      lambdaFunction: props.steps,
      payload: TaskInput.fromObject(payload),
      payloadResponseOnly: true,
      retryOnServiceExceptions: false,
      // The function's own limit, stated: an unset task timeout means a year to Step Functions.
      taskTimeout: Timeout.duration(Duration.minutes(15)),
      ...(resultPath ? { resultPath } : {}),
    });
    task.addRetry({
      errors: TRANSIENT_ERRORS,
      maxAttempts: 3,
      interval: Duration.seconds(5),
      backoffRate: 2,
    });
    return task;
  };
  const guarded = <T extends TaskStateBase | MapState>(state: T): T => {
    state.addCatch(notifyFailure, { resultPath: '$.error' });
    return state;
  };
  const runId = JsonPath.stringAt('$.plan.runId');

  const plan = guarded(
    step(
      'plan',
      {
        step: 'plan',
        runId: JsonPath.executionName,
        trigger: JsonPath.stringAt('$.trigger'),
        requestedBy: JsonPath.stringAt('$.requestedBy'),
        at: JsonPath.stringAt('$.at'),
      },
      '$.plan',
    ),
  );

  const extractShard = step('extract-shard', {
    step: 'extract',
    runId: JsonPath.stringAt('$.runId'),
    shard: JsonPath.numberAt('$.shard'),
  });
  const shardFailed = new Pass(scope, 'shard-failed', {
    parameters: { 'shard.$': '$.shard', failed: true, 'error.$': '$.error.Cause' },
  });
  extractShard.addCatch(shardFailed, { resultPath: '$.error' });
  const extract = new MapState(scope, 'extract-features', {
    itemsPath: '$.plan.shards',
    itemSelector: { 'runId.$': '$.plan.runId', 'shard.$': '$$.Map.Item.Value' },
    maxConcurrency: props.maxConcurrency,
    resultPath: '$.extracted',
  }).itemProcessor(extractShard);
  guarded(extract);

  const trainOne = step('train-candidate', {
    step: 'train',
    runId: JsonPath.stringAt('$.runId'),
    algorithm: JsonPath.stringAt('$.algorithm'),
    extracted: JsonPath.listAt('$.extracted'),
  });
  const trainFailed = new Pass(scope, 'train-failed', {
    parameters: { 'algorithm.$': '$.algorithm', failed: true, 'error.$': '$.error.Cause' },
  });
  trainOne.addCatch(trainFailed, { resultPath: '$.error' });
  let trainIteration: IChainable = trainOne;
  if (props.fargate) {
    const onFargate = new EcsRunTask(scope, 'train-on-fargate', {
      integrationPattern: IntegrationPattern.RUN_JOB,
      cluster: props.fargate.cluster,
      taskDefinition: props.fargate.taskDefinition,
      launchTarget: new EcsFargateLaunchTarget({ platformVersion: FargatePlatformVersion.LATEST }),
      assignPublicIp: true,
      subnets: { subnetType: SubnetType.PUBLIC },
      containerOverrides: [
        {
          containerDefinition: props.fargate.container,
          environment: [{ name: 'STEP_INPUT', value: JsonPath.jsonToString(JsonPath.objectAt('$')) }],
        },
      ],
      resultPath: JsonPath.DISCARD,
      // Every row of 1,000 series × 10,000 points takes most of a day; a stuck task must not hold the run forever.
      taskTimeout: Timeout.duration(Duration.hours(24)),
    });
    onFargate.addRetry({
      errors: ['ECS.AmazonECSException', 'ECS.ServerException'],
      maxAttempts: 3,
      interval: Duration.seconds(30),
      backoffRate: 2,
    });
    onFargate.addCatch(trainFailed, { resultPath: '$.error' });
    const collect = step('train-result', {
      step: 'train-result',
      runId: JsonPath.stringAt('$.runId'),
      algorithm: JsonPath.stringAt('$.algorithm'),
    });
    collect.addCatch(trainFailed, { resultPath: '$.error' });
    trainIteration = new Choice(scope, 'train-where')
      .when(Condition.stringEquals('$.algorithm', 'autoencoder'), onFargate.next(collect))
      .otherwise(trainOne);
  }
  const train = new MapState(scope, 'train', {
    itemsPath: '$.plan.algorithms',
    itemSelector: {
      'runId.$': '$.plan.runId',
      'algorithm.$': '$$.Map.Item.Value',
      'extracted.$': '$.extracted',
    },
    maxConcurrency: 2,
    resultPath: '$.trained',
  }).itemProcessor(trainIteration);
  guarded(train);

  const evaluate = guarded(
    step(
      'evaluate',
      {
        step: 'evaluate',
        runId,
        trained: JsonPath.listAt('$.trained'),
        extracted: JsonPath.listAt('$.extracted'),
      },
      '$.evaluation',
    ),
  );
  const register = guarded(
    step(
      'register',
      { step: 'register', runId, evaluation: JsonPath.objectAt('$.evaluation') },
      '$.registered',
    ),
  );
  const pointer = (id: string, action: string, extra: Record<string, unknown>, resultPath: string) =>
    guarded(
      step(
        id,
        {
          step: 'pointer',
          action,
          runId,
          version: JsonPath.numberAt('$.registered.version'),
          report: JsonPath.stringAt('$.evaluation.reportKey'),
          ...extra,
        },
        resultPath,
      ),
    );
  const setChallenger = pointer('set-challenger', 'challenger', {}, '$.challenger');
  const shadow = new Wait(scope, 'shadow', { time: WaitTime.secondsPath('$.plan.shadowSeconds') });
  const promote = pointer(
    'promote',
    'promote',
    { expectedChampion: JsonPath.stringAt('$.evaluation.championVersion') },
    '$.promoted',
  );
  const watchPeriod = new Wait(scope, 'watch-period', { time: WaitTime.secondsPath('$.plan.watchSeconds') });
  const watch = guarded(
    step(
      'watch',
      {
        step: 'watch',
        runId,
        shadowFrom: JsonPath.numberAt('$.challenger.at'),
        promotedAt: JsonPath.numberAt('$.promoted.at'),
      },
      '$.watch',
    ),
  );
  const rollback = pointer(
    'rollback',
    'rollback',
    { reason: JsonPath.stringAt('$.watch.reason') },
    '$.rolledBack',
  );

  const done = new Succeed(scope, 'done');
  const rejected = new Succeed(scope, 'rejected');
  const rolledBack = new Fail(scope, 'rolled-back', {
    error: 'Seismo.RolledBack',
    cause: 'the watch after promotion breached; the previous champion is back',
  });
  const notificationFailed = new Fail(scope, 'notification-failed', {
    error: 'Seismo.NotifyFailed',
    causePath: '$.notifyError.Cause',
  });

  const notifyRejected = notify(
    scope,
    props.opsTopic,
    'notify-rejected',
    'Seismo retraining: challenger rejected',
    {
      run: JsonPath.executionName,
      summary: JsonPath.stringAt('$.evaluation.summary'),
      report: JsonPath.stringAt('$.evaluation.reportKey'),
    },
  );
  notifyRejected.addCatch(notificationFailed, { resultPath: '$.notifyError' }).next(rejected);
  const notifyPromoted = notify(scope, props.opsTopic, 'notify-promoted', 'Seismo retraining: new champion', {
    run: JsonPath.executionName,
    version: JsonPath.numberAt('$.registered.version'),
    report: JsonPath.stringAt('$.evaluation.reportKey'),
  });
  notifyPromoted.addCatch(notificationFailed, { resultPath: '$.notifyError' });
  const notifyRolledBack = notify(
    scope,
    props.opsTopic,
    'notify-rolled-back',
    'Seismo retraining: promotion rolled back',
    {
      run: JsonPath.executionName,
      version: JsonPath.numberAt('$.registered.version'),
      reason: JsonPath.stringAt('$.watch.reason'),
    },
  );
  notifyRolledBack.addCatch(notificationFailed, { resultPath: '$.notifyError' }).next(rolledBack);

  const gate = new Choice(scope, 'gate')
    .when(Condition.stringEquals('$.evaluation.verdict', 'accept'), register)
    .otherwise(notifyRejected);
  const breached = new Choice(scope, 'watch-breached')
    .when(Condition.booleanEquals('$.watch.breached', true), rollback.next(notifyRolledBack))
    .otherwise(done);

  register
    .next(setChallenger)
    .next(shadow)
    .next(promote)
    .next(notifyPromoted)
    .next(watchPeriod)
    .next(watch)
    .next(breached);
  return plan.next(extract).next(train).next(evaluate).next(gate);
}

function notify(
  scope: Construct,
  topic: ITopic,
  id: string,
  subject: string,
  message: Record<string, unknown>,
): SnsPublish {
  const task = new SnsPublish(scope, id, {
    topic,
    subject,
    message: TaskInput.fromObject(message),
    messageAttributes: { kind: { value: 'retraining' } },
    resultPath: JsonPath.DISCARD,
    taskTimeout: Timeout.duration(Duration.seconds(60)),
  });
  task.addRetry({
    errors: ['SNS.SdkClientException', 'SNS.ThrottledException', 'SNS.InternalErrorException'],
    maxAttempts: 3,
    interval: Duration.seconds(2),
    backoffRate: 2,
  });
  return task;
}
