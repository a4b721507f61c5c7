// The OpenAPI document a real `latentdb serve` answers at GET /openapi.json, validated as OpenAPI 3
// by @apidevtools/swagger-parser (pinned in package-lock.json): the schema of OpenAPI itself, every
// $ref resolved, path parameters declared, operationIds unique.
// usage: node validate_openapi.cjs http://127.0.0.1:PORT   (tests/clients/clients_test.cc runs it)
'use strict';
const SwaggerParser = require('@apidevtools/swagger-parser');

async function main() {
  const response = await fetch(`${process.argv[2]}/openapi.json`);
  if (response.status !== 200) throw new Error(`GET /openapi.json answered ${response.status}`);
  const doc = await response.json();
  const api = await SwaggerParser.validate(doc);
  const operations = Object.values(api.paths).reduce((n, item) => n + Object.keys(item).filter((k) => k !== 'parameters').length, 0);
  console.log(`valid OpenAPI ${api.openapi} document: ${Object.keys(api.paths).length} paths, ${operations} operations`);
}

main().catch((e) => {
  console.error(`INVALID: ${e && e.message ? e.message : e}`);
  process.exit(1);
});
