// Entry point: the Phaser canvas underneath, the DOM screens on top.
import { App } from './app.ts';
import { learnNodes } from './config.ts';
import { installDebugHook } from './debug-hook.ts';
import { createGame } from './scenes/create-game.ts';

const canvasHost = document.getElementById('game')!;
const ui = document.getElementById('ui')!;
const { game, scene } = createGame(canvasHost);
const app = new App(ui, canvasHost, scene, () => game.loop.actualFps);
installDebugHook(app, scene);
learnNodes();
void app.start();
