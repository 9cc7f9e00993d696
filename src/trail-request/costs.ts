// What in a trail request costs money beyond the baseline, in words for the confirm step. Rules:
// Insights are billed per management event analysed, per trail with Insights and per Insights type
// ("Costs for Insights events", https://docs.aws.amazon.com/awscloudtrail/latest/userguide/insights-events-costs.html);
// data events are billed per event delivered, and only the first copy of management events is free
// ("AWS CloudTrail pricing", https://aws.amazon.com/cloudtrail/pricing/).
import type { ResolvedTrailRequest } from './schema.ts';

export interface CostNote {
  item: 'insights' | 'data-events';
  detail: string;
}

const DATA_KIND_WORDS: Record<string, string> = {
  's3-object': 'S3 object-level calls',
  lambda: 'Lambda invocations',
  dynamodb: 'DynamoDB item-level calls',
};

export function costNotes(spec: Pick<ResolvedTrailRequest, 'insights' | 'dataEvents'>): CostNote[] {
  const notes: CostNote[] = [];
  const insights = spec.insights ?? [];
  if (insights.length > 0) {
    notes.push({
      item: 'insights',
      detail:
        `CloudTrail Insights (${insights.join(', ')}) is billed per management event analysed, for each ` +
        'Insights type; with both types, write events are analysed twice.',
    });
  }
  for (const scope of spec.dataEvents ?? []) {
    const what = DATA_KIND_WORDS[scope.kind] ?? scope.kind;
    const where =
      scope.resources === 'all' ? `all ${what}` : `${what} on ${scope.resources.length} resource(s)`;
    notes.push({
      item: 'data-events',
      detail: `Data events for ${where} (${scope.access ?? 'all'}) are billed per event recorded; busy buckets or functions add up quickly.`,
    });
  }
  return notes;
}
