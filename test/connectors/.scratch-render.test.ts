import { it } from 'vitest';
import { buildEnvelope, SAMPLES } from '../../src/events/index.js';
import { slackMessage } from '../../src/connectors/slack.js';
import { teamsMessage } from '../../src/connectors/teams.js';
import { discordMessage } from '../../src/connectors/discord.js';
it('prints', () => {
  const e = buildEnvelope({ type: 'video.completed', data: SAMPLES['video.completed']() });
  console.log(JSON.stringify(slackMessage(e), null, 1));
  console.log(JSON.stringify(teamsMessage(e), null, 1));
  console.log(JSON.stringify(discordMessage(e, {username: 'vidhook'}), null, 1));
});
