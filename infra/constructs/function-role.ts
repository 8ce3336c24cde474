import { Validations } from 'aws-cdk-lib';
import {
  type AddToPrincipalPolicyResult,
  Effect,
  Policy,
  type PolicyStatement,
  Role,
} from 'aws-cdk-lib/aws-iam';

/** Where statements of resource-less actions go: a policy of their own, and why "*" is acceptable there. */
interface ResourcelessHome {
  readonly policy: string;
  readonly reason: string;
}

const XRAY: ResourcelessHome = {
  policy: 'xray-tracing',
  reason:
    'Active tracing: X-Ray PutTraceSegments and PutTelemetryRecords have no resource-level permissions, so IAM requires "*".',
};
const TIMESTREAM_ENDPOINTS: ResourcelessHome = {
  policy: 'timestream-endpoints',
  reason:
    'Timestream endpoint discovery: DescribeEndpoints has no resource-level permissions, so IAM requires "*".',
};

const VPC_NETWORKING: ResourcelessHome = {
  policy: 'vpc-networking',
  reason:
    'A function in a VPC: Lambda creates and deletes the function\'s network interfaces as the role; these EC2 actions have no resource-level permissions (AWSLambdaVPCAccessExecutionRole grants them on "*" as well).',
};

/** What Lambda calls as a VPC function's role to manage its network interfaces (AWSLambdaVPCAccessExecutionRole's list). */
export const VPC_NETWORKING_ACTIONS = [
  'ec2:CreateNetworkInterface',
  'ec2:DescribeNetworkInterfaces',
  'ec2:DescribeSubnets',
  'ec2:DeleteNetworkInterface',
  'ec2:AssignPrivateIpAddresses',
  'ec2:UnassignPrivateIpAddresses',
] as const;

const CLOUDWATCH_METRIC_DATA: ResourcelessHome = {
  policy: 'cloudwatch-metric-data',
  reason:
    'Retraining\'s watch reads the detector\'s metrics: GetMetricData has no resource-level permissions, so IAM requires "*".',
};

/**
 * Actions IAM cannot scope to a resource, so they must be granted on `"*"`; each kind is kept in a policy of
 * its own with the reason cdk-nag's `AwsSolutions-IAM5[Resource::*]` finding on it is acceptable.
 */
const RESOURCELESS_ACTIONS: Readonly<Record<string, ResourcelessHome>> = {
  'xray:PutTraceSegments': XRAY,
  'xray:PutTelemetryRecords': XRAY,
  'timestream:DescribeEndpoints': TIMESTREAM_ENDPOINTS,
  ...Object.fromEntries(VPC_NETWORKING_ACTIONS.map((action) => [action, VPC_NETWORKING])),
  'cloudwatch:GetMetricData': CLOUDWATCH_METRIC_DATA,
};

/**
 * A Lambda execution role whose `Resource: "*"` statements are confined to known resource-less actions. A
 * statement on `"*"` whose actions are all in {@link RESOURCELESS_ACTIONS} goes to a policy of its own with
 * the cdk-nag acknowledgement for exactly that statement; every other statement, any other `"*"` included,
 * goes to the default policy, where `AwsSolutions-IAM5[Resource::*]` is not acknowledged and fails the synth.
 * So the acknowledgement covers the statements that need it and nothing added later by accident.
 */
export class FunctionRole extends Role {
  private readonly resourceless = new Map<string, Policy>();

  override addToPrincipalPolicy(statement: PolicyStatement): AddToPrincipalPolicyResult {
    const home = resourcelessHome(statement);
    if (!home) return super.addToPrincipalPolicy(statement);
    let policy = this.resourceless.get(home.policy);
    if (!policy) {
      policy = new Policy(this, home.policy, { roles: [this] });
      Validations.of(policy).acknowledge({ id: 'AwsSolutions-IAM5[Resource::*]', reason: home.reason });
      this.resourceless.set(home.policy, policy);
    }
    policy.addStatements(statement);
    return { statementAdded: true, policyDependable: policy };
  }
}

/** Where a statement on `"*"` of resource-less actions of one kind belongs; undefined for any other statement. */
function resourcelessHome(statement: PolicyStatement): ResourcelessHome | undefined {
  const onlyStar = statement.resources.length === 1 && statement.resources[0] === '*';
  const plain =
    statement.effect === Effect.ALLOW &&
    statement.notActions.length === 0 &&
    statement.notResources.length === 0 &&
    Object.keys(statement.conditions).length === 0 &&
    !statement.hasPrincipal;
  if (!onlyStar || !plain || statement.actions.length === 0) return undefined;
  const homes = new Set(statement.actions.map((action) => RESOURCELESS_ACTIONS[action]));
  const [home] = homes;
  return homes.size === 1 ? home : undefined;
}
