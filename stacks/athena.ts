// Athena over the CloudTrail log bucket: the logs CloudWatch Logs no longer keeps (its retention is
// days to months; the bucket keeps years) stay queryable with SQL. A Glue database and a CloudTrail
// table with partition projection (no crawler, no ALTER TABLE ADD PARTITION), and a workgroup whose
// query results go to an encrypted bucket of their own.
//
// AWS documentation: "Query AWS CloudTrail logs" (https://docs.aws.amazon.com/athena/latest/ug/cloudtrail-logs.html)
// and "Create the table for CloudTrail logs in Athena using partition projection"
// (https://docs.aws.amazon.com/athena/latest/ug/create-cloudtrail-table-partition-projection.html):
// the column list, the CloudTrail SerDe and input format, and the projection properties below
// follow that page; the page's single-region example is extended with a `region` partition (an
// enum of the trail's regions) and, for an organization trail, an `account` partition.
import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AWS_REGIONS } from '../src/trail-request/schema.ts';
import type { PolicyDocument } from './policies.ts';

export interface CloudTrailAthenaArgs {
  accountId: string;
  partition: string;
  /** The home region: the log bucket's, the key's, and so Athena's and Glue's. */
  region: string;
  /** The log bucket CloudTrail delivers to. */
  bucketName: pulumi.Input<string>;
  /** The account key (home region) that encrypts the query results. */
  keyArn: pulumi.Input<string>;
  /** Regions whose logs the table covers (the projection's enum): the request's, 'all' for every one. */
  regions: 'all' | readonly string[];
  /** Organization trail: logs sit under AWSLogs/<organization id>/<account id>/. */
  organizationId?: string;
  /** The trail's S3 key prefix, if any. */
  s3KeyPrefix?: string;
  /** First day of the date projection (yyyy/MM/dd); earlier days are not queried. */
  since?: string;
  /** Days query results are kept. */
  resultsExpireAfterDays?: number;
}

/** Names of the Athena resources of one account (per home region: Glue and Athena are regional). */
export function athenaNames(accountId: string, region: string) {
  const resultsBucket = `trailwarden-athena-${accountId}-${region}`;
  if (resultsBucket.length > 63) throw new Error(`bucket name ${resultsBucket} is longer than 63 characters`);
  return {
    // Athena reads only lowercase letters, digits and underscores in database and table names.
    database: 'trailwarden_audit',
    table: 'cloudtrail_logs',
    workgroup: 'trailwarden-cloudtrail',
    resultsBucket,
  };
}

/** The CloudTrail record columns, as the Athena partition-projection page defines them. */
export const CLOUDTRAIL_COLUMNS: { name: string; type: string }[] = [
  { name: 'eventversion', type: 'string' },
  {
    name: 'useridentity',
    type:
      'struct<type:string,principalid:string,arn:string,accountid:string,invokedby:string,' +
      'accesskeyid:string,username:string,onbehalfof:struct<userid:string,identitystorearn:string>,' +
      'sessioncontext:struct<attributes:struct<mfaauthenticated:string,creationdate:string>,' +
      'sessionissuer:struct<type:string,principalid:string,arn:string,accountid:string,username:string>,' +
      'ec2roledelivery:string,webidfederationdata:struct<federatedprovider:string,attributes:map<string,string>>>>',
  },
  { name: 'eventtime', type: 'string' },
  { name: 'eventsource', type: 'string' },
  { name: 'eventname', type: 'string' },
  { name: 'awsregion', type: 'string' },
  { name: 'sourceipaddress', type: 'string' },
  { name: 'useragent', type: 'string' },
  { name: 'errorcode', type: 'string' },
  { name: 'errormessage', type: 'string' },
  { name: 'requestparameters', type: 'string' },
  { name: 'responseelements', type: 'string' },
  { name: 'additionaleventdata', type: 'string' },
  { name: 'requestid', type: 'string' },
  { name: 'eventid', type: 'string' },
  { name: 'readonly', type: 'string' },
  { name: 'resources', type: 'array<struct<arn:string,accountid:string,type:string>>' },
  { name: 'eventtype', type: 'string' },
  { name: 'apiversion', type: 'string' },
  { name: 'recipientaccountid', type: 'string' },
  { name: 'serviceeventdetails', type: 'string' },
  { name: 'sharedeventid', type: 'string' },
  { name: 'vpcendpointid', type: 'string' },
  { name: 'vpcendpointaccountid', type: 'string' },
  { name: 'eventcategory', type: 'string' },
  {
    name: 'addendum',
    type: 'struct<reason:string,updatedfields:string,originalrequestid:string,originaleventid:string>',
  },
  { name: 'sessioncredentialfromconsole', type: 'string' },
  { name: 'edgedevicedetails', type: 'string' },
  {
    name: 'tlsdetails',
    type: 'struct<tlsversion:string,ciphersuite:string,clientprovidedhostheader:string>',
  },
];

/**
 * Where the logs are and how partitions map to S3 prefixes. Account trail:
 * s3://bucket/[prefix/]AWSLogs/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/; organization trail:
 * s3://bucket/[prefix/]AWSLogs/<organization id>/<account>/CloudTrail/<region>/<yyyy>/<MM>/<dd>/.
 */
export function cloudTrailTableLayout(
  bucket: string,
  args: Pick<CloudTrailAthenaArgs, 'accountId' | 'regions' | 'organizationId' | 's3KeyPrefix' | 'since'>,
) {
  const prefix = args.s3KeyPrefix ? `${args.s3KeyPrefix.replace(/\/+$/, '')}/` : '';
  const org = args.organizationId;
  const base = org
    ? `s3://${bucket}/${prefix}AWSLogs/${org}/`
    : `s3://${bucket}/${prefix}AWSLogs/${args.accountId}/`;
  const template = org
    ? `${base}\${account}/CloudTrail/\${region}/\${timestamp}`
    : `${base}CloudTrail/\${region}/\${timestamp}`;
  const partitionKeys = [
    ...(org ? [{ name: 'account', type: 'string' }] : []),
    { name: 'region', type: 'string' },
    { name: 'timestamp', type: 'string' },
  ];
  const parameters: Record<string, string> = {
    EXTERNAL: 'TRUE',
    classification: 'cloudtrail',
    'projection.enabled': 'true',
    'projection.region.type': 'enum',
    'projection.region.values': [...new Set(args.regions === 'all' ? AWS_REGIONS : args.regions)].join(','),
    'projection.timestamp.type': 'date',
    'projection.timestamp.format': 'yyyy/MM/dd',
    'projection.timestamp.interval': '1',
    'projection.timestamp.interval.unit': 'DAYS',
    'projection.timestamp.range': `${args.since ?? '2020/01/01'},NOW`,
    'storage.location.template': template,
  };
  if (org) {
    // Member accounts join and leave the organization: the account is given in each query
    // (WHERE account = '…'), not enumerated here.
    parameters['projection.account.type'] = 'injected';
  }
  return { location: base, partitionKeys, parameters };
}

/** The results bucket admits TLS requests only; everything else comes from IAM. */
export function resultsBucketPolicy(bucketArn: string): PolicyDocument {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'DenyInsecureTransport',
        Effect: 'Deny',
        Principal: '*',
        Action: 's3:*',
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      },
    ],
  };
}

/**
 * Athena access to the trail's logs. Query results go to a bucket of their own rather than a
 * prefix of the log bucket: the log bucket's Object Lock and years-long lifecycle would keep every
 * result file as long as the logs, and its policy stays CloudTrail-only. The results bucket is
 * SSE-KMS with the account key, private, TLS-only, and expires results; the workgroup enforces its
 * configuration so a client cannot send results elsewhere or unencrypted.
 */
export class CloudTrailAthena extends pulumi.ComponentResource {
  readonly database: aws.glue.CatalogDatabase;
  readonly table: aws.glue.CatalogTable;
  readonly resultsBucket: aws.s3.Bucket;
  readonly workgroup: aws.athena.Workgroup;
  readonly databaseName: pulumi.Output<string>;
  readonly tableName: pulumi.Output<string>;
  readonly workgroupName: pulumi.Output<string>;
  readonly resultsLocation: pulumi.Output<string>;

  constructor(name: string, args: CloudTrailAthenaArgs, opts?: pulumi.ComponentResourceOptions) {
    super('trailwarden:baseline:CloudTrailAthena', name, {}, opts);
    const child = { parent: this };
    const names = athenaNames(args.accountId, args.region);

    this.resultsBucket = new aws.s3.Bucket(
      `${name}-results`,
      { bucket: names.resultsBucket, forceDestroy: false },
      child,
    );
    const bucket = this.resultsBucket.id;
    const ownership = new aws.s3.BucketOwnershipControls(
      `${name}-results-ownership`,
      { bucket, rule: { objectOwnership: 'BucketOwnerEnforced' } },
      child,
    );
    const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
      `${name}-results-public-access-block`,
      {
        bucket,
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      },
      child,
    );
    new aws.s3.BucketServerSideEncryptionConfiguration(
      `${name}-results-encryption`,
      {
        bucket,
        rules: [
          {
            applyServerSideEncryptionByDefault: { sseAlgorithm: 'aws:kms', kmsMasterKeyId: args.keyArn },
            bucketKeyEnabled: true,
          },
        ],
      },
      child,
    );
    new aws.s3.BucketPolicy(
      `${name}-results-policy`,
      {
        bucket,
        policy: JSON.stringify(resultsBucketPolicy(`arn:${args.partition}:s3:::${names.resultsBucket}`)),
      },
      { parent: this, dependsOn: [publicAccessBlock, ownership] },
    );
    new aws.s3.BucketLifecycleConfiguration(
      `${name}-results-lifecycle`,
      {
        bucket,
        rules: [
          {
            id: 'expire-query-results',
            status: 'Enabled',
            filter: { prefix: '' },
            expiration: { days: args.resultsExpireAfterDays ?? 30 },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 1 },
          },
        ],
      },
      child,
    );

    this.database = new aws.glue.CatalogDatabase(
      `${name}-database`,
      {
        name: names.database,
        catalogId: args.accountId,
        description: 'Trailwarden: CloudTrail logs of this account, queried with Athena',
      },
      child,
    );
    const layout = pulumi
      .output(args.bucketName)
      .apply((bucketName) => cloudTrailTableLayout(bucketName, args));
    this.table = new aws.glue.CatalogTable(
      `${name}-table`,
      {
        name: names.table,
        catalogId: args.accountId,
        databaseName: this.database.name,
        tableType: 'EXTERNAL_TABLE',
        description: 'CloudTrail log files with partition projection over region and day',
        parameters: layout.parameters,
        partitionKeys: layout.partitionKeys,
        storageDescriptor: {
          location: layout.location,
          inputFormat: 'com.amazon.emr.cloudtrail.CloudTrailInputFormat',
          outputFormat: 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat',
          serDeInfo: { serializationLibrary: 'org.apache.hive.hcatalog.data.JsonSerDe' },
          columns: CLOUDTRAIL_COLUMNS,
        },
      },
      child,
    );

    this.resultsLocation = pulumi.interpolate`s3://${this.resultsBucket.bucket}/results/`;
    this.workgroup = new aws.athena.Workgroup(
      `${name}-workgroup`,
      {
        name: names.workgroup,
        description:
          'Trailwarden: queries over the CloudTrail log bucket; results encrypted with the account key',
        state: 'ENABLED',
        forceDestroy: false,
        configuration: {
          enforceWorkgroupConfiguration: true,
          publishCloudwatchMetricsEnabled: true,
          resultConfiguration: {
            outputLocation: this.resultsLocation,
            encryptionConfiguration: { encryptionOption: 'SSE_KMS', kmsKeyArn: args.keyArn },
          },
        },
      },
      child,
    );

    this.databaseName = this.database.name;
    this.tableName = this.table.name;
    this.workgroupName = this.workgroup.name;
    this.registerOutputs({
      databaseName: this.databaseName,
      tableName: this.tableName,
      workgroupName: this.workgroupName,
      resultsLocation: this.resultsLocation,
    });
  }
}
