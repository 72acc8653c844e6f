// A well-behaved plugin: answers the host's requests and tells it when its settings arrive.
import { getParentPort } from 'nsbox/worker';

const port = getParentPort();
let greeting = 'hello';

port.on('message', (message) => {
  if (message.kind === 'config') {
    greeting = message.greeting;
    port.postMessage({ kind: 'log', line: `greeting set to "${greeting}"` });
  }
});
port.handle('add', ({ a, b }) => a + b);
port.handle('wordCount', (text) => text.split(/\s+/).filter(Boolean).length);
port.handle('greet', (name) => `${greeting}, ${name}`);
