// SPDX-License-Identifier: Apache-2.0
'use strict';

const http = require('node:http');
const { Queue } = require('./src/queue');

const PORT = Number(process.env.PORT) || 3000;
const jobs = new Queue();

function sendJson(res, status, payload) {
  const body = JSON.stringify(payload);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
  });
  res.end(body);
}

function readBody(req, limit = 64 * 1024) {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks = [];
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size > limit) {
        reject(new Error('body too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

const server = http.createServer(async (req, res) => {
  try {
    if (req.method === 'POST' && req.url === '/jobs') {
      const job = JSON.parse(await readBody(req));
      const position = jobs.push(job);
      sendJson(res, 202, { queued: true, position });
    } else if (req.method === 'POST' && req.url === '/jobs/next') {
      sendJson(res, 200, { job: jobs.shift() ?? null, remaining: jobs.size });
    } else if (req.method === 'GET' && req.url === '/jobs') {
      sendJson(res, 200, { size: jobs.size, jobs: [...jobs] });
    } else {
      sendJson(res, 404, { error: 'not found' });
    }
  } catch (err) {
    sendJson(res, 400, { error: err.message });
  }
});

if (require.main === module) {
  server.listen(PORT, () => console.log(`listening on http://localhost:${PORT}`));
}

module.exports = { server };
