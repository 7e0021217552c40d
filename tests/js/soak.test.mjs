// The soak of issue #10 at 2,000 requests (make soak runs 20,000):
// tests/soak/soak.mjs says what is sent and checked.
import { test } from 'node:test';

import { soak } from '../soak/soak.mjs';

test('2,000 mixed requests through one resnet20 module should each get the clean run\'s answer, memory flat', async (t) => {
  await soak({ count: 2000, seed: 7, log: (line) => { t.diagnostic(line); console.log(line); } });
});
