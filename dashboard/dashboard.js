// Lasso live dashboard: renders the Server-Sent Events of /dashboard/events. Plain script, no
// build step; every value from the server goes in through textContent, never as markup.
(() => {
  'use strict';
  const SHARE_WINDOW_MS = 60_000;
  const COLORS = { rps: '#58a6ff', success: '#3fb950', p50: '#58a6ff', p99: '#bc8cff', axis: '#7d8b99', grid: '#28313b' };

  const model = { windowMs: 300_000, series: new Map() };
  const views = new Map(); // chain name -> { section, rateChart, providers: Map(id -> card) }

  const $ = (tag, attrs = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  };
  const fmtTime = (ms) => {
    const d = new Date(ms);
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
  };
  const fmtMs = (ms) => (ms === null || ms === undefined ? '–' : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toString());
  const setText = (node, text) => {
    if (node.textContent !== text) node.textContent = text;
  };

  // --- connection ---------------------------------------------------------------------------
  const params = new URLSearchParams(location.search);
  const key = params.get('key');
  const eventsUrl = `${location.pathname.replace(/\/+$/, '')}/events${key ? `?key=${encodeURIComponent(key)}` : ''}`;
  const connection = document.getElementById('connection');
  const setConnection = (state, text) => {
    connection.dataset.connection = state;
    setText(connection, text);
  };
  const source = new EventSource(eventsUrl);
  source.addEventListener('open', () => setConnection('live', 'live'));
  source.addEventListener('error', () => setConnection('lost', 'reconnecting…'));
  source.addEventListener('init', (e) => {
    const init = JSON.parse(e.data);
    model.windowMs = init.windowMs;
    model.series = new Map(Object.entries(init.series));
    for (const view of views.values()) view.section.remove();
    views.clear();
    document.getElementById('log').replaceChildren();
    applyState(init.chains);
    for (const line of init.log) renderLogLine(line);
    setConnection('live', 'live');
  });
  source.addEventListener('state', (e) => {
    const { chains, points } = JSON.parse(e.data);
    for (const [chain, point] of Object.entries(points)) {
      const list = model.series.get(chain) ?? [];
      list.push(point);
      while (list.length > 0 && list[0].t < point.t - model.windowMs) list.shift();
      model.series.set(chain, list);
    }
    applyState(chains);
  });
  source.addEventListener('log', (e) => {
    renderLogLine(JSON.parse(e.data));
  });
  setInterval(() => setText(document.getElementById('clock'), fmtTime(Date.now())), 250);

  // --- chains -------------------------------------------------------------------------------
  function applyState(chains) {
    for (const chain of chains) {
      let view = views.get(chain.name);
      // Providers can be added, removed or replaced by a config reload: rebuild the chain's cards then.
      if (!view || [...view.providers.keys()].join('\n') !== chain.providers.map((p) => p.id).join('\n')) {
        view?.section.remove();
        view = buildChain(chain);
        views.set(chain.name, view);
      }
      updateChain(view, chain);
    }
  }

  /** Line charts without legend or cursor (the numbers are printed beside them); `axes` null for a sparkline. */
  function chartOptions(width, height, series, axes, scales) {
    return {
      width, height, scales,
      series: series.map((s, i) => (i === 0 ? s : { ...s, points: { show: false }, spanGaps: false })),
      axes: axes ?? [{ show: false }, { show: false }],
      legend: { show: false },
      cursor: { show: false },
      ...(axes ? {} : { padding: [2, 0, 2, 0] }),
    };
  }

  function buildChain(chain) {
    const facts = $('span', { class: 'facts' });
    const rateBox = $('div', { class: 'rate' });
    const providers = new Map();
    const grid = $('div', { class: 'providers' });
    for (const p of chain.providers) {
      const card = buildProvider(p);
      providers.set(p.id, card);
      grid.append(card.node);
    }
    const subsBody = $('tbody');
    const subsSummary = $('p', { class: 'muted' });
    const subsLast = $('p', { class: 'muted' });
    const section = $(
      'section',
      { class: 'chain', 'data-chain': chain.name },
      $('header', {}, $('h2', {}, chain.name), facts),
      $('div', { class: 'chart-title' }, $('span', { class: 'rps' }, '— requests per second'), ' and ', $('span', { class: 'ok' }, '— success ratio (%)'), `, last ${Math.round(model.windowMs / 60_000)} minutes`),
      rateBox,
      grid,
      $(
        'div',
        { class: 'subs' },
        $('h3', {}, 'Subscriptions'),
        subsSummary,
        $('table', {}, $('thead', {}, $('tr', {}, $('th', {}, 'stream'), $('th', {}, 'clients'), $('th', {}, 'upstream'))), subsBody),
        subsLast,
      ),
    );
    document.getElementById('chains').append(section);
    const width = Math.max(300, rateBox.clientWidth || 800);
    const axis = { stroke: COLORS.axis, grid: { stroke: COLORS.grid, width: 1 }, ticks: { stroke: COLORS.grid } };
    const rateChart = new uPlot(
      chartOptions(
        width,
        150,
        [{}, { label: 'req/s', stroke: COLORS.rps, width: 2, scale: 'rps' }, { label: 'success %', stroke: COLORS.success, width: 2, scale: 'pct' }],
        [axis, { ...axis, scale: 'rps' }, { ...axis, scale: 'pct', side: 1, grid: { show: false } }],
        { x: { time: true }, rps: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] }, pct: { range: [0, 100] } },
      ),
      [[], [], []],
      rateBox,
    );
    for (const card of providers.values()) {
      card.spark = new uPlot(
        chartOptions(
          Math.max(150, card.sparkBox.clientWidth || 200),
          36,
          [{}, { stroke: COLORS.p50, width: 1.5 }, { stroke: COLORS.p99, width: 1.5 }],
          null,
          { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(1, max * 1.1)] } },
        ),
        [[], [], []],
        card.sparkBox,
      );
    }
    return { section, facts, rateChart, rateBox, providers, subsBody, subsSummary, subsLast };
  }

  function buildProvider(p) {
    const fields = {};
    const dl = $('dl');
    for (const [name, label] of [
      ['head', 'head / lag'],
      ['share', 'traffic (60 s)'],
      ['latency', 'p50 / p99 ms'],
      ['cooldown', 'rate-limit cooldown'],
      ['ws', 'WebSocket'],
    ]) {
      fields[name] = $('dd');
      dl.append($('dt', {}, label), fields[name]);
    }
    const badge = $('span', { class: 'badge' });
    const shareBar = $('div');
    const errors = $('div', { class: 'errors' });
    const sparkBox = $('div', { class: 'spark' });
    const node = $(
      'article',
      { class: 'provider', 'data-provider': p.id, 'data-state': p.state },
      $('header', {}, $('span', { class: 'name' }, p.id), badge),
      dl,
      $('div', { class: 'share' }, shareBar),
      sparkBox,
      $('div', { class: 'spark-legend' }, 'latency ', $('span', { class: 'p50' }, '— p50'), ' ', $('span', { class: 'p99' }, '— p99')),
      errors,
    );
    return { node, badge, fields, shareBar, errors, sparkBox, spark: undefined };
  }

  function updateChain(view, chain) {
    const points = model.series.get(chain.name) ?? [];
    const last = points.at(-1);
    const recent = points.filter((pt) => pt.t > (last?.t ?? 0) - SHARE_WINDOW_MS);
    const ratio = last?.successRatio;
    setText(
      view.facts,
      `chain ${chain.chainId} · head ${chain.head ?? '–'} · ${last ? last.rps.toFixed(1) : '0'} req/s · success ${ratio === null || ratio === undefined ? '–' : `${(ratio * 100).toFixed(2)} %`}`,
    );
    const xs = points.map((pt) => pt.t / 1000);
    view.rateChart.setData([xs, points.map((pt) => pt.rps), points.map((pt) => (pt.successRatio === null ? null : pt.successRatio * 100))]);

    let totalAttempts = 0;
    for (const pt of recent) for (const pp of Object.values(pt.providers)) totalAttempts += pp.attempts;
    for (const p of chain.providers) {
      const card = view.providers.get(p.id);
      if (!card) continue;
      card.node.dataset.state = p.state;
      setText(card.badge, p.nextProbeInMs !== null && p.state === 'open' ? `open · probe in ${Math.ceil(p.nextProbeInMs / 1000)} s` : p.state.replace('_', '-'));
      setText(card.fields.head, `${p.head ?? '–'} / ${p.lag ?? '–'}${p.lagging ? ' (lagging)' : ''}`);
      let attempts = 0;
      const errors = {};
      for (const pt of recent) {
        const pp = pt.providers[p.id];
        if (!pp) continue;
        attempts += pp.attempts;
        for (const [cls, n] of Object.entries(pp.errors)) errors[cls] = (errors[cls] ?? 0) + n;
      }
      const share = totalAttempts > 0 ? (attempts / totalAttempts) * 100 : 0;
      setText(card.fields.share, `${share.toFixed(1)} % · ${attempts} attempts`);
      card.shareBar.style.width = `${share}%`;
      const lastP = last?.providers[p.id];
      setText(card.fields.latency, `${fmtMs(lastP?.p50)} / ${fmtMs(lastP?.p99)}`);
      setText(card.fields.cooldown, p.cooldownRemainingMs > 0 ? `${Math.ceil(p.cooldownRemainingMs / 1000)} s left` : 'none');
      setText(card.fields.ws, p.ws ? `${p.ws.connection} · breaker ${p.ws.breaker.replace('_', '-')}` : 'no ws url');
      const errorText = Object.entries(errors).map(([cls, n]) => `${cls} ${n}`).join(' · ');
      setText(card.errors, errorText ? `errors (60 s): ${errorText}` : 'no errors in 60 s');
      card.errors.classList.toggle('count', errorText !== '');
      card.spark?.setData([xs, points.map((pt) => pt.providers[p.id]?.p50 ?? null), points.map((pt) => pt.providers[p.id]?.p99 ?? null)]);
    }

    const subs = chain.subscriptions;
    setText(view.subsSummary, `${subs.clients} client subscription(s) on ${subs.upstream} upstream subscription(s)`);
    const rows = subs.streams.map((s) => $('tr', {}, $('td', { class: 'key', title: s.key }, s.key), $('td', {}, String(s.clients)), $('td', {}, s.provider ?? 'switching / polling')));
    if (rows.length === 0) rows.push($('tr', {}, $('td', { class: 'muted', colspan: '3' }, 'no client subscriptions')));
    view.subsBody.replaceChildren(...rows);
    const failover = subs.lastFailover ? `last failover ${fmtTime(subs.lastFailover.lastAt)}: ${subs.lastFailover.text}` : 'no subscription failover yet';
    const gap = subs.lastGapFill ? `last gap fill ${fmtTime(subs.lastGapFill.lastAt)}: ${subs.lastGapFill.text}` : 'no gap fill yet';
    setText(view.subsLast, `${failover} · ${gap}`);
  }

  window.addEventListener('resize', () => {
    for (const view of views.values()) view.rateChart.setSize({ width: Math.max(300, view.rateBox.clientWidth), height: 150 });
  });

  // --- event log ----------------------------------------------------------------------------
  const logNodes = new Map();
  function renderLogLine(line) {
    const list = document.getElementById('log');
    document.getElementById('log-empty').hidden = true;
    let node = logNodes.get(line.id);
    if (!node) {
      node = $('li', { 'data-type': line.type, 'data-tone': line.tone }, $('time', { datetime: new Date(line.at).toISOString() }, fmtTime(line.at)), $('span', { class: 'chain-name' }, line.chain), $('span', { class: 'text' }, line.text), $('span', { class: 'times' }));
      if (line.provider) node.dataset.provider = line.provider;
      logNodes.set(line.id, node);
      list.prepend(node);
      while (list.children.length > 200) {
        const oldest = list.lastElementChild;
        for (const [id, n] of logNodes) if (n === oldest) logNodes.delete(id);
        oldest.remove();
      }
    }
    setText(node.querySelector('.times'), line.count > 1 ? `×${line.count} (last ${fmtTime(line.lastAt)})` : '');
  }
})();
