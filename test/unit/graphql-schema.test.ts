/**
 * The schema is an artefact: schema.graphql must be exactly what the code prints (run
 * `npm run schema` after changing a type), and it must keep every name docs/contract.md §4 fixes.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { buildSchema, type GraphQLField, isEnumType, isObjectType } from "graphql";
import { schema } from "../../src/graphql/schema/index.js";
import { printedSchema } from "../../src/graphql/schema/print.js";

// docs/contract.md §4, with <count> = Count and <date-time> = DateTime.
const CONTRACT = `
scalar Count
scalar DateTime
enum Granularity { MONTH DAY HOUR MINUTE }
type Query {
  stats(account: String!, event: String!, year: Int!, month: Int, day: Int, hour: Int): Stats!
  funnel(account: String!, event: String!, year: Int!, month: Int, day: Int): Funnel!
  accounts: [String!]!
  events(account: String!): [String!]!
}
type Stats {
  account: String!  event: String!
  year: Int!  month: Int  day: Int  hour: Int
  granularity: Granularity!
  total: Count!
  segments: [Segment!]!
}
type Segment { key: Int!  count: Count! }
type Funnel { account: String! event: String! year: Int! month: Int day: Int total: Count! statuses: [StatusCount!]! }
type StatusCount { status: String!  count: Count! }
type Subscription {
  stats(account: String!, event: String!, year: Int!, month: Int, day: Int, hour: Int): Stats!
  increments(account: String, event: String): Increment!
}
type Increment { account: String!  event: String!  at: DateTime!  count: Count! }
`;

const signature = (f: GraphQLField<unknown, unknown>) =>
  `${f.name}(${f.args.map((a) => `${a.name}: ${String(a.type)}`).join(", ")}): ${String(f.type)}`;

describe("schema.graphql", () => {
  it("is exactly what the code prints (run `npm run schema` and commit it)", () => {
    const committed = readFileSync(new URL("../../schema.graphql", import.meta.url), "utf8");
    assert.equal(committed, printedSchema(), "schema.graphql is stale: run `npm run schema`");
  });

  it("keeps every type, field and argument docs/contract.md §4 names, with the same types", () => {
    const contract = buildSchema(CONTRACT);
    const contractTypes = Object.values(contract.getTypeMap()).filter((t) => !t.name.startsWith("__"));
    for (const type of contractTypes) {
      const ours = schema.getType(type.name);
      assert.ok(ours, `type ${type.name} exists`);
      assert.equal(ours.constructor.name, type.constructor.name, `${type.name} is a ${type.constructor.name}`);
      if (isEnumType(type) && isEnumType(ours)) {
        assert.deepEqual(
          ours
            .getValues()
            .map((v) => v.name)
            .sort(),
          type
            .getValues()
            .map((v) => v.name)
            .sort(),
        );
      }
      if (!isObjectType(type) || !isObjectType(ours)) continue;
      const fields = ours.getFields();
      for (const field of Object.values(type.getFields())) {
        const mine = fields[field.name];
        assert.ok(mine, `${type.name}.${field.name} exists`);
        // Extra optional arguments would be allowed; every named one must match exactly.
        const named = { ...mine, args: mine.args.filter((a) => field.args.some((b) => b.name === a.name)) };
        assert.equal(signature(named), signature(field), `${type.name}.${field.name}`);
      }
    }
  });
});
