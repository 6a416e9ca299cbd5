import { render } from 'preact';
render(<main>sidepanel</main>, document.getElementById('app')!);
