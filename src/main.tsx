import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { trainerClient } from './store/trainer-client';
import type { TrainerClient } from './train/client';
import { App } from './ui/App';
import './ui/styles.css';

declare global {
  interface Window {
    /** Present with `?test` in the URL: the browser tests call the worker protocol through it. */
    __abft?: { readonly client: TrainerClient };
  }
}

if (new URLSearchParams(location.search).has('test')) window.__abft = { client: trainerClient() };

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
