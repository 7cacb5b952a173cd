/* app.js — the page of `covcast serve`: pick or upload, edit, see, compare,
 * take away. No framework, no request outside the server. Every name that
 * comes from a file reaches the page through textContent or an SVG text
 * node, never as markup. */
'use strict';
(function () {
  const token = new URLSearchParams(location.search).get('token') || '';
  const client = 'page-' + Math.random().toString(36).slice(2, 12);
  const QUICK = 200;
  const MAX_ROWS = 15;

  const WORDS = {
    vi: {
      title: 'covcast — dự báo tỷ lệ bao phủ BHYT', pick: 'Chọn kịch bản', scenario: 'Kịch bản có sẵn', choose: '— chọn —',
      upload: 'Hoặc tải lên tệp dân số (CSV)', edit: 'Điều chỉnh', add: 'Thêm:', add_target: 'chỉ tiêu',
      add_campaign: 'chiến dịch', add_reclassify: 'cắt hỗ trợ (chuyển nhóm)', add_school: 'đợt vận động học sinh',
      add_extra: 'thẻ phát thêm', add_demography: 'sinh, tử (dân số)',
      answer: 'Kết quả', pin: 'Ghim làm phương án gốc', unpin: 'Bỏ ghim', export: 'Tải kịch bản (INI)',
      targets_csv: 'Tải targets.csv', col_target: 'Chỉ tiêu', col_unit: 'Đơn vị', col_threshold: 'Ngưỡng',
      col_deadline: 'Hạn', col_p: 'Xác suất đạt', col_interval: 'Khoảng 95%', col_verdict: 'Đánh giá',
      col_median: 'Trung vị tại hạn', col_cards: 'Số thẻ còn thiếu hiện nay', col_shortfall: 'Còn thiếu tại hạn (trung vị)',
      col_diff: 'Chênh lệch so với gốc (sai số chuẩn)', focus: 'Đơn vị xem biểu đồ',
      fan_caption: 'Trung vị, khoảng 50% và 90% của các tương lai mô phỏng; nét đứt: chỉ tiêu; đường chấm: hạn; nét xám: phương án gốc.',
      cards_for: 'Xã xếp theo số thẻ còn thiếu, chỉ tiêu', cards_caption: 'Màu theo xác suất đạt chỉ tiêu (xanh: có khả năng, cam: khó đạt).',
      verdict: ['rất có khả năng đạt', 'có khả năng đạt', 'khả năng ngang nhau', 'khó đạt', 'rất khó đạt'],
      no_people: 'không có người', running: 'Đang tính…', shows: (n, all) => `Đang hiển thị ${n} lần mô phỏng` + (all ? '' : ' — đang tính tiếp'),
      done: (n, s) => `Kết quả với ${n} lần mô phỏng (hạt giống ${s}).`, failed: 'Kịch bản có lỗi:', more: n => `… và ${n} đơn vị nữa (xem targets.csv)`,
      baseline: (id, n) => `Phương án gốc: lần chạy ${id} (${n} lần mô phỏng); chênh lệch tính trên cùng các tương lai (cùng hạt giống).`,
      not_paired: 'Không so được với phương án gốc: hạt giống khác nhau.', remove: 'bỏ', search: 'tìm xã (không cần dấu)',
      all_communes: 'tất cả các xã', selected: n => `đã chọn ${n}`, all_groups: 'mọi nhóm', months_axis: 'Tháng', cov_axis: 'Tỷ lệ bao phủ (%)',
      cards_axis: 'Số thẻ còn thiếu hiện nay', upload_ok: n => `Đã dùng tệp ${n}.`, pick_first: 'Hãy chọn một kịch bản làm khung trước khi tải tệp.',
      upload_model: 'Tệp mô hình (INI)', upload_history: 'Tệp lịch sử báo cáo (CSV)',
      upload_rates: 'Hệ số theo đơn vị của mô hình ([units] rates, CSV; tải lên trước tệp mô hình)', take_away: 'Tải về:',
      report: 'Báo cáo một trang (report.html)', charts_go: 'Biểu đồ SVG (gnuplot)', charts_wait: 'Đang vẽ biểu đồ…',
      link_bad: 'Không đọc được kịch bản trong địa chỉ (liên kết bị cắt?):',
      link_big: 'kịch bản trong địa chỉ quá lớn (hơn 4 MiB khi giải nén)',
      base_running: 'Đang chạy lại phương án gốc mà liên kết ghi…', base_failed: 'Không chạy lại được phương án gốc của liên kết:',
      keys: {
        name: 'Tên', start: 'Tháng gốc (YYYY-MM)', months: 'Số tháng dự báo', replicates: 'Số lần mô phỏng', seed: 'Hạt giống',
        level: 'Cấp', threshold: 'Ngưỡng (%)', deadline: 'Hạn (YYYY-MM)', group: 'Nhóm', communes: 'Xã', groups: 'Nhóm',
        enroll_multiplier: 'Hệ số tham gia', enroll_multiplier_sd: 'Độ bất định của hệ số', lapse_multiplier: 'Hệ số bỏ thẻ',
        ramp: 'Tăng dần theo tháng', month: 'Tháng', from: 'Từ nhóm', to: 'Sang nhóm (nhóm:tỷ lệ)', fraction: 'Tỷ lệ chuyển',
        keep: 'Xác suất giữ thẻ', enroll: 'Xác suất tham gia', cards: 'Thẻ thêm mỗi tháng mỗi xã', description: 'Ghi chú',
        population: 'Tệp dân số', model: 'Tệp mô hình', levels: 'Các cấp', history: 'Tệp lịch sử',
        births: 'Tỷ lệ sinh (mỗi người mỗi tháng)', birth_group: 'Nhóm của trẻ sơ sinh', insured_at_birth: 'Tỷ lệ có thẻ khi sinh',
        deaths: 'Tỷ lệ tử vong (mỗi người mỗi tháng)'
      },
      ask: 'Cần gì để đạt chỉ tiêu?', ask_kind: 'Câu hỏi', ask_solve: 'Mức đòn bẩy nhỏ nhất để đạt chỉ tiêu (solve)',
      ask_allocate: 'Phân bổ ngân sách chiến dịch (allocate)', ask_target: 'Chỉ tiêu', ask_lever: 'Đòn bẩy',
      ask_p: 'Xác suất mong muốn', ask_range: 'Khoảng tìm (LO..HI; trống: mặc định)', ask_campaign: 'Chiến dịch',
      ask_budget: 'Ngân sách (số xã-tháng)', ask_go: 'Tính', ask_cards: 'Thẻ thêm mỗi tháng mỗi xã (cards)',
      ask_running: (s, f) => `Đang tính… ${f} — ${s} giây`, ask_done: s => `Xong sau ${s} giây (cùng hạt giống cho mọi phương án).`,
      ask_cancelled: 'Đã huỷ (có yêu cầu mới).', ask_failed: 'Không tính được:',
      ask_cols: { target: 'Chỉ tiêu', level: 'Cấp', unit: 'Đơn vị', lever: 'Đòn bẩy', value: 'Giá trị cần', probability: 'Xác suất',
                  probability_lo: 'Cận dưới 95%', probability_hi: 'Cận trên 95%', reachable: 'Đạt được', value_below: 'Giá trị còn thiếu',
                  step: 'Bước', commune: 'Xã', month: 'Tháng', gain: 'Tăng thêm', objective: 'Mục tiêu tối ưu' },
      ask_words: { yes: 'có', no: 'không', 'no people': 'không có người', even: 'chia đều' },
      kinds: { run: 'Chung', target: 'Chỉ tiêu', campaign: 'Chiến dịch', reclassify: 'Cắt hỗ trợ / chuyển nhóm', school: 'Vận động học sinh', extra: 'Thẻ thêm', demography: 'Dân số' }
    },
    en: {
      title: 'covcast — BHYT coverage projections', pick: 'Pick a scenario', scenario: 'Shipped scenario', choose: '— choose —',
      upload: 'Or upload a population file (CSV)', edit: 'Edit', add: 'Add:', add_target: 'target', add_campaign: 'campaign',
      add_reclassify: 'subsidy removal (regrouping)', add_school: 'school drive', answer: 'Answer', pin: 'Pin as baseline',
      add_extra: 'extra cards', add_demography: 'births and deaths (demography)',
      unpin: 'Unpin', export: 'Download the scenario (INI)', targets_csv: 'Download targets.csv', col_target: 'Target',
      col_unit: 'Unit', col_threshold: 'Threshold', col_deadline: 'Deadline', col_p: 'P(reached)', col_interval: '95% interval',
      col_verdict: 'Verdict', col_median: 'Median at deadline', col_cards: 'Cards needed now', col_shortfall: 'Shortfall (median)',
      col_diff: 'Difference from baseline (standard error)', focus: 'Unit in focus',
      fan_caption: 'Median, 50% and 90% bands of the simulated futures; dashed: targets; dotted: deadlines; grey: the baseline.',
      cards_for: 'Communes ranked by cards needed now, target', cards_caption: 'Coloured by the probability of the target (green: likely, orange: unlikely).',
      verdict: ['very likely', 'likely', 'about even', 'unlikely', 'very unlikely'],
      no_people: 'no people', running: 'Running…', shows: (n, all) => `Showing ${n} replicates` + (all ? '' : ' — refining'),
      done: (n, s) => `Answer from ${n} replicates (seed ${s}).`, failed: 'The scenario has errors:', more: n => `… and ${n} more units (see targets.csv)`,
      baseline: (id, n) => `Baseline: run ${id} (${n} replicates); differences on the same futures (same seed).`,
      not_paired: 'No paired difference: the seeds differ.', remove: 'remove', search: 'find a commune (accents optional)',
      all_communes: 'all communes', selected: n => `${n} chosen`, all_groups: 'all groups', months_axis: 'Month', cov_axis: 'Coverage (%)',
      cards_axis: 'Cards needed now', upload_ok: n => `Using ${n}.`, pick_first: 'Pick a scenario as the frame before uploading.',
      upload_model: 'Model file (INI)', upload_history: 'History of reports (CSV)',
      upload_rates: "The model's rates per unit ([units] rates, CSV; upload it before the model)", take_away: 'Download:',
      report: 'One-page report (report.html)', charts_go: 'SVG charts (gnuplot)', charts_wait: 'Drawing the charts…',
      link_bad: 'The scenario in the address could not be read (a cut link?):',
      link_big: 'the scenario in the address is too large (over 4 MiB inflated)',
      base_running: 'Running again the baseline the link holds…', base_failed: "The link's baseline could not be run again:",
      keys: {
        name: 'Name', start: 'Snapshot (YYYY-MM)', months: 'Months projected', replicates: 'Replicates', seed: 'Seed',
        level: 'Level', threshold: 'Threshold (%)', deadline: 'Deadline (YYYY-MM)', group: 'Group', communes: 'Communes', groups: 'Groups',
        enroll_multiplier: 'Enrollment multiplier', enroll_multiplier_sd: 'Multiplier spread', lapse_multiplier: 'Lapse multiplier',
        ramp: 'Ramp by month', month: 'Month', from: 'From group', to: 'To groups (group:share)', fraction: 'Share moved',
        keep: 'P(keeps the card)', enroll: 'P(enrolls)', cards: 'Extra cards a month per commune', description: 'Note',
        population: 'Population file', model: 'Model file', levels: 'Levels', history: 'History file',
        births: 'Births (per person per month)', birth_group: 'Group of the newborn', insured_at_birth: 'Share insured at birth',
        deaths: 'Deaths (per person per month)'
      },
      ask: 'What would it take?', ask_kind: 'Question', ask_solve: 'Smallest lever value that reaches the target (solve)',
      ask_allocate: 'Allocate a campaign budget (allocate)', ask_target: 'Target', ask_lever: 'Lever',
      ask_p: 'Probability wanted', ask_range: 'Search range (LO..HI; empty: the default)', ask_campaign: 'Campaign',
      ask_budget: 'Budget (commune-months)', ask_go: 'Compute', ask_cards: 'Extra cards a month per commune (cards)',
      ask_running: (s, f) => `Computing… ${f} — ${s} s`, ask_done: s => `Done in ${s} s (the same seed for every option).`,
      ask_cancelled: 'Cancelled (a newer request).', ask_failed: 'It could not be computed:',
      ask_cols: { target: 'Target', level: 'Level', unit: 'Unit', lever: 'Lever', value: 'Value needed', probability: 'Probability',
                  probability_lo: '95% low', probability_hi: '95% high', reachable: 'Reachable', value_below: 'Value that falls short',
                  step: 'Step', commune: 'Commune', month: 'Month', gain: 'Gain', objective: 'Objective' },
      ask_words: { yes: 'yes', no: 'no', 'no people': 'no people', even: 'spread evenly' },
      kinds: { run: 'General', target: 'Target', campaign: 'Campaign', reclassify: 'Subsidy removal / regrouping', school: 'School drive', extra: 'Extra cards', demography: 'Demography' }
    }
  };
  const VERDICT_COLOURS = ['#009e73', '#56b4e9', '#999999', '#e69f00', '#d55e00'];
  const HIDDEN_KEYS = { run: ['population', 'model', 'levels', 'history', 'delimiter', 'decimal_comma', 'description'] };
  const NEW_SECTIONS = {
    target: [['level', 'commune'], ['threshold', '85'], ['deadline', '']],
    campaign: [['months', ''], ['enroll_multiplier', '2.0']],
    reclassify: [['month', ''], ['from', ''], ['to', ''], ['fraction', '1.0'], ['keep', '0.4']],
    school: [['month', '09'], ['groups', 'students'], ['enroll', '0.5']],
    extra: [['months', ''], ['cards', '10']],
    demography: [['births', '0.0012'], ['birth_group', ''], ['insured_at_birth', '0.95'], ['deaths', '0.0005']]
  };

  let lang = 'vi';
  const st = { file: null, sections: null, orig: null, info: null, job: 0, result: null, final: false, errors: null,
               baseline: 0, baseResult: null, baseSections: null, seq: 0, timer: 0, t0: 0, hash: '' };
  const W = () => WORDS[lang];
  const $ = id => document.getElementById(id);

  /* ---- helpers ---- */
  function api(path, opts) {
    opts = opts || {};
    opts.headers = Object.assign({}, opts.headers || {});
    if (token) opts.headers['X-Covcast-Token'] = token;
    return fetch(path, opts).then(r => r.json().then(j => {
      if (!r.ok) throw new Error(j && j.error ? j.error : String(r.status));
      return j;
    }));
  }
  function withToken(url) { return token ? url + '&token=' + encodeURIComponent(token) : url; }
  function el(tag, attrs, text) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  const SVGNS = 'http://www.w3.org/2000/svg';
  function sv(tag, attrs, text) {
    const e = document.createElementNS(SVGNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function fold(s) {
    return String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, '').replace(/[đĐ]/g, 'd').toLowerCase();
  }
  function num(v, digits) {
    const s = Number(v).toFixed(digits);
    return lang === 'vi' ? s.replace('.', ',') : s;
  }
  function int(v) {
    const s = String(Math.round(Number(v))).replace(/\B(?=(\d{3})+(?!\d))/g, lang === 'vi' ? '.' : ',');
    return s;
  }
  function monthLabel(ym) { const p = String(ym).split('-'); return p.length === 2 ? p[1] + '/' + p[0] : ym; }
  function addMonths(ym, k) {
    const p = String(ym).split('-'); const m = Number(p[0]) * 12 + Number(p[1]) - 1 + k;
    return Math.floor(m / 12) + '-' + String(m % 12 + 1).padStart(2, '0');
  }
  function kindOf(name) { const i = name.indexOf('.'); return i < 0 ? name : name.slice(0, i); }
  function getEntry(sec, key) { const e = sec.entries.find(x => x[0] === key); return e ? e[1] : undefined; }
  function setEntry(sec, key, value) {
    const e = sec.entries.find(x => x[0] === key);
    if (value === '' || value === null || value === undefined) { sec.entries = sec.entries.filter(x => x[0] !== key); return; }
    if (e) e[1] = value; else sec.entries.push([key, value]);
  }

  /* ---- language ---- */
  function applyLanguage() {
    document.documentElement.lang = lang;
    document.querySelectorAll('[data-t]').forEach(n => {
      const w = W()[n.getAttribute('data-t')];
      if (typeof w === 'string') n.textContent = w;
    });
    $('lang-vi').classList.toggle('on', lang === 'vi');
    $('lang-en').classList.toggle('on', lang === 'en');
    if (st.sections) renderSections();
    if (st.result || st.errors) renderAnswer();
    if (st.sections) fillAsk();
    if (ask.state) renderAsk();
    if (st.sections) writeAddress();
  }

  /* ---- pick ---- */
  function showPickErrors(text) {
    const pre = $('errors');
    pre.hidden = !text;
    pre.textContent = text || '';
  }
  function loadScenarios() {
    return api('/api/scenarios').then(j => {
      for (const s of j.scenarios) $('scenario').appendChild(el('option', { value: s.file }, s.name + ' (' + s.file + ')'));
    });
  }
  /* edits: what the address bar held (applied over the shipped scenario), or none; baseEdits: the
     pinned baseline it held, run again (the same seed: the same answer) and pinned before the scenario runs */
  function pickScenario(file, edits, baseEdits) {
    if (!file) return Promise.resolve();
    return api('/api/scenario?file=' + encodeURIComponent(file)).then(j => {
      if (j.errors) { showPickErrors(j.errors.text); return; }
      showPickErrors('');
      st.file = file; st.orig = JSON.parse(JSON.stringify(j.sections)); st.sections = j.sections; st.info = j.info;
      st.baseline = 0; st.baseResult = null; st.baseSections = null;
      $('scenario').value = file;
      if (!edits) return;
      st.sections = rebuild(st.orig, edits);
      /* the choices of the edited scenario (an uploaded population has other communes) */
      return api('/api/check', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                 body: JSON.stringify({ sections: st.sections, file: st.file }) }).then(c => {
        if (c.errors) showPickErrors(W().failed + '\n' + c.errors.text); else st.info = c.info;
      });
    }).then(() => {
      if (!st.sections || st.file !== file) return;
      $('edit').hidden = false;
      renderSections();
      return (baseEdits ? pinFrom(rebuild(st.orig, baseEdits)) : Promise.resolve()).then(() => schedule(0));
    }).catch(e => showPickErrors(e.message));
  }
  /* key: the [run] key the uploaded file fills: population, model or history; or rates, which a model
     uploaded after it names by its file name. The server names an upload by an id, never by its path. */
  function upload(file, key) {
    if (!st.sections) { showPickErrors(W().pick_first); return; }
    file.arrayBuffer().then(buf => api('/api/upload?kind=' + key + '&client=' + client + '&name=' + encodeURIComponent(file.name),
      { method: 'POST', headers: { 'Content-Type': key === 'model' ? 'application/octet-stream' : 'text/csv' }, body: buf })).then(up => {
      if (key === 'rates') { showPickErrors(W().upload_ok(up.name)); return; }
      const sections = JSON.parse(JSON.stringify(st.sections));
      const run = sections.find(s => s.name === 'run');
      setEntry(run, key, up.id);
      return api('/api/check', { method: 'POST', headers: { 'Content-Type': 'application/json' },
                                 body: JSON.stringify({ sections: sections, file: st.file }) }).then(j => {
        if (j.errors) { showPickErrors(W().failed + '\n' + j.errors.text); return; }
        showPickErrors(W().upload_ok(up.name));
        st.sections = sections; st.info = j.info; st.baseline = 0; st.baseResult = null; st.baseSections = null;
        renderSections();
        schedule(0);
      });
    }).catch(e => showPickErrors(e.message));
  }

  /* ---- edit ---- */
  function input(sec, key, attrs) {
    const i = el('input', Object.assign({ type: 'text', 'data-sec': sec.name, 'data-key': key }, attrs || {}));
    i.value = getEntry(sec, key) || '';
    i.addEventListener('input', () => { setEntry(sec, key, i.value.trim()); schedule(); });
    return i;
  }
  function select(sec, key, options) {
    const s = el('select', { 'data-sec': sec.name, 'data-key': key });
    const cur = getEntry(sec, key) || '';
    for (const [v, label] of options) {
      const o = el('option', { value: v }, label);
      if (v === cur) o.selected = true;
      s.appendChild(o);
    }
    s.addEventListener('change', () => { setEntry(sec, key, s.value); schedule(); });
    return s;
  }
  function field(label, control) {
    const l = el('label');
    l.appendChild(el('span', null, label));
    l.appendChild(control);
    return l;
  }
  function splitList(v) { return (v || '').split(/[;,]/).map(x => x.trim()).filter(x => x); }
  /* A searchable list of communes that ignores diacritics. */
  function communePicker(sec) {
    const box = el('div', { class: 'picker', 'data-sec': sec.name, 'data-key': 'communes' });
    const chosen = new Set(splitList(getEntry(sec, 'communes')));
    const head = el('span', null, W().keys.communes + ' — ' + (chosen.size ? W().selected(chosen.size) : W().all_communes));
    const search = el('input', { type: 'search', placeholder: W().search, 'data-role': 'search' });
    const list = el('div', { class: 'list' });
    const names = st.info.communes.map(c => c.name);
    const dup = new Set(names.filter((n, i) => names.indexOf(n) !== i));
    const items = st.info.communes.map(c => {
      const key = dup.has(c.name) && c.code ? c.code : c.name;
      const l = el('label');
      const cb = el('input', { type: 'checkbox', value: key });
      cb.checked = chosen.has(key) || (c.code && chosen.has(c.code));
      cb.addEventListener('change', () => {
        if (cb.checked) chosen.add(key); else chosen.delete(key);
        setEntry(sec, 'communes', Array.from(chosen).join('; '));
        head.textContent = W().keys.communes + ' — ' + (chosen.size ? W().selected(chosen.size) : W().all_communes);
        schedule();
      });
      l.appendChild(cb);
      l.appendChild(document.createTextNode(' ' + c.name + (dup.has(c.name) && c.code ? ' (' + c.code + ')' : '')));
      list.appendChild(l);
      return { l: l, f: fold(c.name + ' ' + (c.code || '')) };
    });
    search.addEventListener('input', () => {
      const q = fold(search.value.trim());
      for (const it of items) it.l.hidden = q !== '' && !it.f.includes(q);
    });
    box.appendChild(head); box.appendChild(el('br')); box.appendChild(search); box.appendChild(list);
    return box;
  }
  function groupOptions(withAll) {
    const o = withAll ? [['', W().all_groups]] : [['', '—']];
    for (const g of st.info.groups) o.push([g.name, g.label ? g.name + ' — ' + g.label : g.name]);
    return o;
  }
  function levelOptions() {
    const o = [['commune', 'commune']];
    for (const l of st.info.levels) o.push([l.name, l.name]);
    o.push(['all', 'all']);
    return o;
  }
  function renderSection(sec) {
    const kind = kindOf(sec.name), w = W();
    const box = el('div', { class: 'section', 'data-sec': sec.name });
    const h = el('h3', null, (w.kinds[kind] || kind) + (sec.name.includes('.') ? ': ' + sec.name.slice(kind.length + 1) : ''));
    if (kind !== 'run') {
      const rm = el('button', { type: 'button' }, w.remove);
      rm.addEventListener('click', () => { st.sections = st.sections.filter(s => s !== sec); renderSections(); schedule(); });
      h.appendChild(rm);
    }
    box.appendChild(h);
    const shown = new Set();
    const add = (key, control) => { shown.add(key); box.appendChild(field(w.keys[key] || key, control)); };
    if (kind === 'run') {
      for (const k of ['name', 'start', 'months', 'replicates', 'seed']) add(k, input(sec, k, k === 'name' ? { class: 'long' } : {}));
      for (const k of ['population', 'model', 'history']) {
        const f = getEntry(sec, k);
        if (f) box.appendChild(field(w.keys[k], el('span', { 'data-file': k }, f.split('/').pop())));
      }
    } else if (kind === 'target') {
      add('level', select(sec, 'level', levelOptions()));
      add('threshold', input(sec, 'threshold', { type: 'number', step: '0.1', min: '0', max: '100' }));
      add('deadline', input(sec, 'deadline'));
      add('group', select(sec, 'group', groupOptions(true)));
    } else if (kind === 'campaign' || kind === 'school' || kind === 'extra' || kind === 'reclassify') {
      const timeKey = kind === 'campaign' || kind === 'extra' ? 'months' : 'month';
      add(timeKey, input(sec, timeKey));
      if (kind === 'campaign') {
        add('enroll_multiplier', input(sec, 'enroll_multiplier', { type: 'number', step: '0.1', min: '0' }));
        add('ramp', input(sec, 'ramp', { placeholder: '0.5, 1' }));
      }
      if (kind === 'school') add('enroll', input(sec, 'enroll', { type: 'number', step: '0.05', min: '0', max: '1' }));
      if (kind === 'extra') add('cards', input(sec, 'cards', { type: 'number', step: '1', min: '0' }));
      if (kind === 'reclassify') {
        add('from', select(sec, 'from', groupOptions(false)));
        add('to', input(sec, 'to', { class: 'long' }));
        add('fraction', input(sec, 'fraction', { type: 'number', step: '0.05', min: '0', max: '1' }));
        add('keep', input(sec, 'keep', { type: 'number', step: '0.05', min: '0', max: '1' }));
      }
      if (kind !== 'reclassify') add('groups', input(sec, 'groups', { class: 'long' }));
      shown.add('communes');
      box.appendChild(communePicker(sec));
    }
    if (kind === 'demography') {
      for (const k of ['births', 'insured_at_birth', 'deaths'])
        add(k, input(sec, k, { type: 'number', step: k === 'insured_at_birth' ? '0.01' : '0.0001', min: '0', max: '1' }));
      add('birth_group', select(sec, 'birth_group', groupOptions(false)));
    }
    const hidden = HIDDEN_KEYS[kind] || ['description'];
    for (const [k] of sec.entries)   /* every other key, as text */
      if (!shown.has(k) && !hidden.includes(k)) add(k, input(sec, k));
    return box;
  }
  function renderSections() {
    const root = $('sections');
    root.textContent = '';
    for (const sec of st.sections) root.appendChild(renderSection(sec));
  }
  function addSection(kind) {
    if (kind === 'demography' && st.sections.some(s => s.name === 'demography')) return;   /* one a scenario */
    let n = 1;
    while (st.sections.some(s => s.name === kind + '.new' + n)) n++;
    const entries = NEW_SECTIONS[kind].map(e => e.slice());
    const start = st.info.start;
    for (const e of entries) {
      if ((e[0] === 'deadline' || e[0] === 'month') && !e[1]) e[1] = addMonths(start, Math.min(st.info.months, 6));
      if (e[0] === 'months' && !e[1]) e[1] = addMonths(start, 1) + '..' + addMonths(start, 2);
      if (e[0] === 'from' && !e[1]) e[1] = st.info.groups[0].name;
      if (e[0] === 'to' && !e[1]) e[1] = (st.info.groups[st.info.groups.length - 1] || st.info.groups[0]).name + ':1';
      if (e[0] === 'birth_group' && !e[1]) e[1] = (st.info.groups.find(g => g.name === 'state_full') || st.info.groups[0]).name;
    }
    st.sections.push({ name: kind === 'demography' ? kind : kind + '.new' + n, entries: entries });
    renderSections();
    schedule();
  }

  /* ---- runs ---- */
  function schedule(ms) {
    clearTimeout(st.timer);
    st.timer = setTimeout(run, ms === undefined ? 250 : ms);
  }
  async function run() {
    fillAsk();
    writeAddress();
    const seq = ++st.seq;
    st.t0 = performance.now();
    $('answer').hidden = false;
    $('status').textContent = W().running;
    document.body.setAttribute('data-state', 'running');
    let j;
    try {
      j = await api('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client: client, sections: st.sections, file: st.file || 'scenario.ini', quick: QUICK, baseline: st.baseline }) });
    } catch (e) {
      if (seq === st.seq) { st.errors = e.message; st.result = null; renderAnswer(); document.body.setAttribute('data-state', 'failed'); }
      return;
    }
    let after = 0;
    while (seq === st.seq) {
      let s;
      try { s = await api('/api/job?id=' + j.job + '&after=' + after + '&wait=15000'); } catch (e) { st.errors = e.message; renderAnswer(); return; }
      if (seq !== st.seq) return;
      if (s.result && s.stage > after) {
        after = s.stage;
        if (st.job !== j.job) $('chart-links').textContent = '';
        st.job = j.job;
        document.body.setAttribute('data-job', String(j.job));
        st.final = !!s.result.final;
        st.errors = s.result.errors ? s.result.errors.text : null;
        st.result = s.result.results || null;
        st.lastMs = performance.now() - st.t0;
        if (after === 1) st.firstMs = st.lastMs;
        renderAnswer();
      }
      if (s.state !== 'queued' && s.state !== 'running') {
        document.body.setAttribute('data-state', s.state);
        document.body.setAttribute('data-first-ms', String(Math.round(st.firstMs || 0)));
        document.body.setAttribute('data-full-ms', String(Math.round(st.lastMs || 0)));
        return;
      }
    }
  }

  /* ---- answer ---- */
  function renderAnswer() {
    const w = W(), r = st.result;
    let pre = $('run-errors');
    if (!pre) { pre = el('pre', { id: 'run-errors', class: 'errors' }); $('status').after(pre); }
    pre.hidden = !st.errors;
    pre.textContent = st.errors ? w.failed + '\n' + st.errors : '';
    if (!r) { $('status').textContent = st.errors ? '' : w.running; return; }
    $('status').textContent = st.final ? w.done(int(r.replicates), r.seed) : w.shows(int(r.replicates), false);
    $('status').setAttribute('data-replicates', String(r.replicates));
    $('status').setAttribute('data-final', st.final ? '1' : '0');
    renderDownloads();
    $('pin').hidden = !st.final || st.baseline === st.job;
    $('unpin').hidden = !st.baseline;
    const note = $('baseline-note');
    note.hidden = !st.baseline;
    if (st.baseline) note.textContent = r.paired === false ? w.not_paired : w.baseline(st.baseline, int(st.baseResult.replicates));
    renderTable(r);
    renderFocusOptions(r);
    renderFan(r);
    renderCards(r);
  }
  function renderTable(r) {
    const w = W(), tb = $('targets').querySelector('tbody');
    tb.textContent = '';
    $('targets').classList.toggle('paired', !!st.baseline && r.paired !== false);
    for (const t of r.targets) {
      t.rows.forEach((row, i) => {
        if (i >= MAX_ROWS) return;
        const u = r.units[row.unit];
        const tr = el('tr', { 'data-target': t.name, 'data-unit': u.name, class: row.no_people ? '' : 'v' + row.verdict });
        const cells = [
          [t.name], [u.name], [num(t.threshold, 2).replace(/[.,]?0+$/, '') + '%' + (t.group !== 'all' ? ' ' + t.group : '')],
          [monthLabel(t.deadline)],
          [row.no_people ? '—' : num(row.p, 3), 'num p'],
          [row.no_people ? '—' : num(row.lo, 3) + '–' + num(row.hi, 3), 'num'],
          [row.no_people ? w.no_people : w.verdict[row.verdict], 'verdict'],
          [row.no_people ? '—' : num(row.q50, 2) + '%', 'num'],
          [int(row.cards_now), 'num'], [int(row.shortfall), 'num'],
          [row.diff === undefined ? '' : (row.diff >= 0 ? '+' : '') + num(row.diff, 3) + ' (' + num(row.diff_se, 3) + ')', 'num diff']
        ];
        for (const [text, cls] of cells) tr.appendChild(el('td', cls ? { class: cls } : null, text));
        tb.appendChild(tr);
      });
      if (t.rows.length > MAX_ROWS) {
        const tr = el('tr');
        tr.appendChild(el('td', { colspan: '11' }, w.more(t.rows.length - MAX_ROWS)));
        tb.appendChild(tr);
      }
    }
  }
  function renderFocusOptions(r) {
    const s = $('focus'), cur = s.value;
    s.textContent = '';
    const order = r.units.map((u, i) => i).sort((a, b) => (r.units[a].level === 'commune') - (r.units[b].level === 'commune'));
    for (const i of order) s.appendChild(el('option', { value: String(i) }, r.units[i].name + ' (' + r.units[i].level + ')'));
    const district = order.find(i => r.units[i].level !== 'commune' && r.units[i].level !== 'all');
    s.value = cur && Number(cur) < r.units.length ? cur : String(district === undefined ? order[0] : district);
    const c = $('cards-target'), cc = c.value;
    c.textContent = '';
    for (const t of r.targets) if (t.rows.length > 1) c.appendChild(el('option', { value: t.name }, t.name));
    if (cc && r.targets.some(t => t.name === cc && t.rows.length > 1)) c.value = cc;
  }
  function scale(d0, d1, r0, r1) { return v => r0 + (v - d0) * (r1 - r0) / ((d1 - d0) || 1); }
  function niceStep(span) {
    const raw = span / 6, p = Math.pow(10, Math.floor(Math.log10(raw))), m = raw / p;
    return (m < 1.5 ? 1 : m < 3.5 ? 2 : m < 7.5 ? 5 : 10) * p;
  }
  function renderFan(r) {
    const svg = $('fan'), w = W();
    svg.textContent = '';
    const u = Number($('focus').value), unit = r.units[u], fan = r.fans[u];
    if (!fan) return;
    const H = fan.length - 1;
    const targets = r.targets.filter(t => t.level === unit.level);
    let base = null;
    if (st.baseline && st.baseResult) {
      const bi = st.baseResult.units.findIndex(b => b.level === unit.level && b.name === unit.name);
      if (bi >= 0) base = st.baseResult.fans[bi];
    }
    let lo = Infinity, hi = -Infinity;
    for (const q of fan) { lo = Math.min(lo, q[0]); hi = Math.max(hi, q[4]); }
    if (base) for (const q of base) { lo = Math.min(lo, q[2]); hi = Math.max(hi, q[2]); }
    for (const t of targets) { lo = Math.min(lo, Number(t.threshold)); hi = Math.max(hi, Number(t.threshold)); }
    const pad = Math.max(0.2, (hi - lo) * 0.08); lo -= pad; hi += pad;
    const L = 56, R = 620, T = 28, B = 300;
    const x = scale(0, H, L, R), y = scale(lo, hi, B, T);
    svg.appendChild(sv('text', { x: L, y: 16, 'font-weight': 'bold' }, unit.name));
    const step = niceStep(hi - lo);
    for (let v = Math.ceil(lo / step) * step; v <= hi; v += step) {
      svg.appendChild(sv('line', { x1: L, x2: R, y1: y(v), y2: y(v), stroke: '#eee' }));
      svg.appendChild(sv('text', { x: L - 4, y: y(v) + 4, 'text-anchor': 'end' }, num(v, step < 1 ? 1 : 0) + '%'));
    }
    const every = Math.max(1, Math.ceil(H / 8));
    for (let m = 0; m <= H; m += every)
      svg.appendChild(sv('text', { x: x(m), y: B + 16, 'text-anchor': 'middle' }, monthLabel(addMonths(r.start, m))));
    svg.appendChild(sv('text', { x: (L + R) / 2, y: 334, 'text-anchor': 'middle' }, w.months_axis));
    const band = (a, b) => fan.map((q, m) => x(m) + ',' + y(q[a])).join(' ') + ' ' +
                           fan.map((q, m) => x(m) + ',' + y(q[b])).reverse().join(' ');
    svg.appendChild(sv('polygon', { points: band(0, 4), fill: '#56b4e9', 'fill-opacity': '0.25', 'data-role': 'band90' }));
    svg.appendChild(sv('polygon', { points: band(1, 3), fill: '#0072b2', 'fill-opacity': '0.3', 'data-role': 'band50' }));
    if (base)
      svg.appendChild(sv('polyline', { points: base.map((q, m) => x(m) + ',' + y(q[2])).join(' '), fill: 'none',
                                       stroke: '#777', 'stroke-width': '2', 'stroke-dasharray': '6 3', 'data-role': 'baseline' }));
    svg.appendChild(sv('polyline', { points: fan.map((q, m) => x(m) + ',' + y(q[2])).join(' '), fill: 'none',
                                     stroke: '#0b3d5c', 'stroke-width': '2.5', 'data-role': 'median',
                                     'data-values': fan.map(q => q.join(' ')).join(';') }));
    targets.forEach((t, k) => {
      const row = t.rows.find(rw => rw.unit === u);
      const thr = Number(t.threshold), dm = monthsBetween(r.start, t.deadline);
      svg.appendChild(sv('line', { x1: L, x2: R, y1: y(thr), y2: y(thr), stroke: '#d55e00', 'stroke-dasharray': '6 4' }));
      if (dm >= 0 && dm <= H) svg.appendChild(sv('line', { x1: x(dm), x2: x(dm), y1: T, y2: B, stroke: '#d55e00', 'stroke-dasharray': '2 3' }));
      const p = row && !row.no_people ? ' — P = ' + num(row.p, 3) : '';
      svg.appendChild(sv('text', { x: R, y: T + 12 + 13 * k, 'text-anchor': 'end', fill: '#d55e00' },
                         t.name + ' ≥ ' + num(thr, 2).replace(/[.,]?0+$/, '') + '% ' + monthLabel(t.deadline) + p));
    });
    svg.appendChild(sv('line', { x1: L, x2: L, y1: T, y2: B, stroke: '#999' }));
    svg.appendChild(sv('line', { x1: L, x2: R, y1: B, y2: B, stroke: '#999' }));
  }
  function monthsBetween(a, b) {
    const p = String(a).split('-'), q = String(b).split('-');
    return (Number(q[0]) - Number(p[0])) * 12 + Number(q[1]) - Number(p[1]);
  }
  function renderCards(r) {
    const svg = $('cards'), w = W();
    svg.textContent = '';
    const t = r.targets.find(x => x.name === $('cards-target').value);
    if (!t) return;
    const rows = t.rows.slice().sort((a, b) => b.cards_now - a.cards_now).slice(0, 20);
    const max = Math.max(1, ...rows.map(x => x.cards_now));
    const L = 170, R = 540, T = 20, rowH = Math.min(15, 300 / Math.max(1, rows.length));
    const x = scale(0, max, L, R);
    svg.appendChild(sv('text', { x: L, y: 14 }, w.cards_axis + ' — ' + t.name));
    rows.forEach((row, i) => {
      const yy = T + i * rowH, name = r.units[row.unit].name;
      svg.appendChild(sv('text', { x: L - 4, y: yy + rowH * 0.75, 'text-anchor': 'end' }, name));
      svg.appendChild(sv('rect', { x: L, y: yy + 1, width: Math.max(1, x(row.cards_now) - L), height: rowH - 2,
                                   fill: row.no_people ? '#ccc' : VERDICT_COLOURS[row.verdict], 'data-unit': name }));
      svg.appendChild(sv('text', { x: x(row.cards_now) + 4, y: yy + rowH * 0.75 },
                         int(row.cards_now) + (row.no_people ? '' : ' (P = ' + num(row.p, 2) + ')')));
    });
  }

  /* ---- take it away: the run's files, its charts (gnuplot, as covcast plot) and report ---- */
  function renderDownloads() {
    const base = '/api/job/file?id=' + st.job + '&name=';
    $('export').href = withToken(base + 'scenario.ini');
    $('targets-csv').href = withToken(base + 'targets.csv');
    document.querySelectorAll('#downloads a[data-file]').forEach(a => { a.href = withToken(base + a.getAttribute('data-file')); });
    $('report').href = withToken('/api/job/report?id=' + st.job + '&lang=' + lang);
    $('downloads').hidden = !st.final || !st.result;
  }
  /* the charts of the run as covcast plot draws them; with a commune in focus, that commune's too (plot --units) */
  function charts() {
    const job = st.job, box = $('chart-links'), r = st.result;
    const focus = r && r.units[Number($('focus').value)];
    const unit = focus && focus.level === 'commune' ? '&unit=' + encodeURIComponent(focus.name) : '';
    box.textContent = W().charts_wait;
    api('/api/job/charts?id=' + job + '&lang=' + lang + unit).then(j => {
      if (job !== st.job) return;
      box.textContent = '';
      const names = j.charts.slice().sort((a, b) => b.includes('-commune-') - a.includes('-commune-'));
      for (const name of names) {
        const a = el('a', { href: withToken('/api/job/chart?id=' + job + '&lang=' + j.lang + unit + '&name=' + encodeURIComponent(name)),
                            download: name, 'data-chart': name }, name);
        box.appendChild(a);
      }
    }).catch(e => { if (job === st.job) box.textContent = e.message; });
  }

  /* ---- the address bar: the shipped scenario, its edits and the language,
     so that a copied link reopens the same scenario on the same server ---- */
  function sameEntries(a, b) { return JSON.stringify(a) === JSON.stringify(b); }
  /* the edits of sections over the shipped ones: {c: changed or added sections' entries, r: removed, o: order when it differs} */
  function editsOf(orig, sections) {
    const c = {}, r = [];
    for (const sec of sections) {
      const o = orig.find(x => x.name === sec.name);
      if (!o || !sameEntries(o.entries, sec.entries)) c[sec.name] = sec.entries;
    }
    for (const o of orig) if (!sections.some(x => x.name === o.name)) r.push(o.name);
    const e = { c: c };
    if (r.length) e.r = r;
    const names = sections.map(x => x.name);
    if (!sameEntries(rebuild(orig, e).map(x => x.name), names)) e.o = names;
    return e;
  }
  function rebuild(orig, e) {
    const c = e && typeof e.c === 'object' && e.c ? e.c : {}, r = new Set(Array.isArray(e.r) ? e.r : []);
    const copy = entries => entries.filter(x => Array.isArray(x) && x.length === 2).map(x => [String(x[0]), String(x[1])]);
    let out = orig.filter(s => !r.has(s.name)).map(s => ({ name: s.name, entries: copy(Object.prototype.hasOwnProperty.call(c, s.name) && Array.isArray(c[s.name]) ? c[s.name] : s.entries) }));
    for (const n of Object.keys(c)) if (!orig.some(s => s.name === n) && Array.isArray(c[n])) out.push({ name: n, entries: copy(c[n]) });
    if (Array.isArray(e.o)) out = e.o.map(n => out.find(s => s.name === n)).filter(s => s);
    return out;
  }
  function b64url(bytes) {
    let bin = '';
    for (let i = 0; i < bytes.length; i++) bin += String.fromCharCode(bytes[i]);
    return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  function unb64url(text) {
    const bin = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  }
  async function through(stream, bytes) {
    return new Uint8Array(await new Response(new Blob([bytes]).stream().pipeThrough(stream)).arrayBuffer());
  }
  /* 'z' + deflated JSON where the browser can deflate, else 'j' + the JSON itself, both base64url */
  async function pack(obj) {
    const bytes = new TextEncoder().encode(JSON.stringify(obj));
    if (typeof CompressionStream === 'function') return 'z' + b64url(await through(new CompressionStream('deflate-raw'), bytes));
    return 'j' + b64url(bytes);
  }
  /* inflated piece by piece, and given up past ADDRESS_MAX: a crafted link of a few hundred kilobytes could
     otherwise inflate to gigabytes in the page of whoever opens it */
  const ADDRESS_MAX = 4 << 20;
  async function inflate(bytes) {
    const reader = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw')).getReader();
    const parts = [];
    let n = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      n += value.length;
      if (n > ADDRESS_MAX) { reader.cancel(); throw new Error(W().link_big); }
      parts.push(value);
    }
    const out = new Uint8Array(n);
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  }
  async function unpack(text) {
    const bytes = unb64url(text.slice(1));
    if (text[0] === 'z') return JSON.parse(new TextDecoder().decode(await inflate(bytes)));
    if (text[0] === 'j') return JSON.parse(new TextDecoder().decode(bytes));
    throw new Error('unknown format');
  }
  let addressSeq = 0;
  async function writeAddress() {
    if (!st.file || !st.orig || !st.sections) return;
    const seq = ++addressSeq, e = editsOf(st.orig, st.sections);
    const p = new URLSearchParams();
    p.set('f', st.file);
    if (lang !== 'vi') p.set('lang', lang);
    if (Object.keys(e.c).length || e.r || e.o) p.set('s', await pack(e));
    if (st.baseSections) p.set('b', await pack(editsOf(st.orig, st.baseSections)));
    if (seq !== addressSeq) return;
    st.hash = '#' + p.toString();
    if (location.hash !== st.hash) history.replaceState(null, '', location.pathname + location.search + st.hash);
  }
  /* the scenario the address holds, when it holds one: true when it was taken */
  async function readAddress() {
    const h = location.hash.slice(1);
    if (!h) return false;
    const p = new URLSearchParams(h);
    const file = p.get('f');
    if (!file) return false;
    const l = p.get('lang');
    if ((l === 'en' || l === 'vi') && l !== lang) { lang = l; applyLanguage(); }
    let edits = null, baseEdits = null;
    try {
      if (p.get('s')) edits = await unpack(p.get('s'));
      if (p.get('b')) baseEdits = await unpack(p.get('b'));
    } catch (err) { showPickErrors(W().link_bad + ' ' + err.message); return true; }
    st.hash = location.hash;
    await pickScenario(file, edits, baseEdits);
    return true;
  }

  /* ---- baseline ---- */
  function pin() {
    if (!st.final || !st.result) return;
    st.baseline = st.job;
    st.baseResult = st.result;
    st.baseSections = JSON.parse(JSON.stringify(st.sections));   /* the address holds it, so a copied link compares too */
    schedule(0);
  }
  function unpin() { st.baseline = 0; st.baseResult = null; st.baseSections = null; schedule(0); }
  /* the baseline a link holds: run with its full count, then pinned */
  async function pinFrom(sections) {
    $('answer').hidden = false;
    $('status').textContent = W().base_running;
    try {
      const j = await api('/api/run', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client: client + '-base', sections: sections, file: st.file || 'scenario.ini', quick: 0, baseline: 0 }) });
      let s;
      do s = await api('/api/job?id=' + j.job + '&after=99&wait=15000'); while (s.state === 'queued' || s.state === 'running');
      if (s.state !== 'done' || !s.result || !s.result.results)
        throw new Error(s.result && s.result.errors ? s.result.errors.text : s.state);
      st.baseline = j.job; st.baseResult = s.result.results; st.baseSections = sections;
      document.body.setAttribute('data-baseline', String(j.job));
    } catch (e) { showPickErrors(W().base_failed + ' ' + e.message); }
  }

  /* ---- what it would take: solve and allocate ---- */
  const ask = { seq: 0, job: 0, table: null, kind: '', lines: [], errors: null, state: '', t0: 0, secs: 0, fraction: 0 };
  const LEVERS = { campaign: ['enroll_multiplier', 'lapse_multiplier'], school: ['enroll'], reclassify: ['keep', 'fraction'] };
  function fillSelect(sel, options) {
    const keep = sel.value;
    sel.textContent = '';
    for (const o of options) sel.appendChild(el('option', { value: o[0] }, o[1]));
    if (options.some(o => o[0] === keep)) sel.value = keep;
  }
  function fillAsk() {
    if (!st.sections) return;
    $('ask').hidden = false;
    const names = st.sections.map(x => x.name);
    fillSelect($('ask-target'), names.filter(n => kindOf(n) === 'target').map(n => [n.slice(7), n.slice(7)]));
    fillSelect($('ask-campaign'), names.filter(n => kindOf(n) === 'campaign').map(n => [n.slice(9), n.slice(9)]));
    const levers = [];
    for (const n of names) for (const k of LEVERS[kindOf(n)] || []) levers.push([n + '.' + k, n + '.' + k]);
    levers.push(['cards', W().ask_cards]);
    fillSelect($('ask-lever'), levers);
    const solve = $('ask-kind').value === 'solve';
    document.querySelectorAll('.ask-solve').forEach(n => { n.hidden = !solve; });
    document.querySelectorAll('.ask-allocate').forEach(n => { n.hidden = solve; });
  }
  async function askGo() {
    const seq = ++ask.seq, kind = $('ask-kind').value;
    const req = { client: client + '-ask', sections: st.sections, file: st.file || 'scenario.ini', kind: kind, target: $('ask-target').value };
    if (kind === 'solve') {
      req.lever = $('ask-lever').value;
      req.probability = Number($('ask-p').value);
      req.range = $('ask-range').value.trim();
    } else {
      req.campaign = $('ask-campaign').value;
      req.budget = Number($('ask-budget').value);
    }
    Object.assign(ask, { job: 0, table: null, kind: kind, lines: [], errors: null, state: 'running', t0: performance.now(), secs: 0, fraction: 0 });
    renderAsk();
    let j;
    try {
      j = await api('/api/ask', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(req) });
    } catch (e) {
      if (seq === ask.seq) { ask.errors = e.message; ask.state = 'failed'; renderAsk(); }
      return;
    }
    ask.job = j.job;
    let after = 0;
    while (seq === ask.seq) {
      let s;
      try { s = await api('/api/job?id=' + j.job + '&after=' + after + '&wait=1000'); } catch (e) { ask.errors = e.message; ask.state = 'failed'; renderAsk(); return; }
      if (seq !== ask.seq) return;
      ask.secs = (performance.now() - ask.t0) / 1000;
      if (s.result && s.stage > after) {
        after = s.stage;
        if (s.result.progress) ask.lines.push(s.result.progress);
        if (typeof s.result.fraction === 'number') ask.fraction = s.result.fraction;
        if (s.result.errors) ask.errors = s.result.errors.text;
        if (s.result.ask) { ask.table = s.result.ask.table; ask.lines = s.result.ask.text || ask.lines; }
      }
      ask.state = s.state;
      renderAsk();
      if (s.state !== 'queued' && s.state !== 'running') return;
    }
  }
  function renderAsk() {
    const w = W(), secs = num(ask.secs, 1);
    const status = $('ask-status');
    const pct = Math.floor(100 * ask.fraction) + '%';
    status.textContent = ask.state === 'running' || ask.state === 'queued' ? w.ask_running(secs, pct)
                       : ask.state === 'done' ? w.ask_done(secs) : ask.state === 'cancelled' ? w.ask_cancelled : '';
    $('ask').setAttribute('data-state', ask.state);
    $('ask').setAttribute('data-fraction', String(ask.fraction));
    const bar = $('ask-bar');
    bar.hidden = !(ask.state === 'running' || ask.state === 'queued');
    bar.value = ask.fraction;
    const err = $('ask-errors');
    err.hidden = !ask.errors;
    err.textContent = ask.errors ? w.ask_failed + '\n' + ask.errors : '';
    const pr = $('ask-progress');
    pr.hidden = !ask.lines.length;
    pr.textContent = ask.lines.join('\n');
    const head = $('ask-table').querySelector('thead'), body = $('ask-table').querySelector('tbody');
    head.textContent = '';
    body.textContent = '';
    if (!ask.table) return;
    const cols = ask.table.columns, tr = el('tr');
    for (const c of cols) tr.appendChild(el('th', {}, w.ask_cols[c] || c));
    head.appendChild(tr);
    for (const row of ask.table.rows) {
      const r = el('tr');
      row.forEach((v, i) => {
        const numeric = v !== '' && !isNaN(Number(v)) && cols[i] !== 'step';
        const shown = numeric ? (lang === 'vi' ? v.replace('.', ',') : v) : (w.ask_words[v] || v);
        r.appendChild(el('td', numeric ? { class: 'num' } : {}, shown));
      });
      body.appendChild(r);
    }
  }

  /* ---- start ---- */
  $('lang-vi').addEventListener('click', () => { lang = 'vi'; applyLanguage(); });
  $('lang-en').addEventListener('click', () => { lang = 'en'; applyLanguage(); });
  $('scenario').addEventListener('change', e => pickScenario(e.target.value));
  $('upload').addEventListener('change', e => { if (e.target.files[0]) upload(e.target.files[0], 'population'); });
  $('upload-model').addEventListener('change', e => { if (e.target.files[0]) upload(e.target.files[0], 'model'); });
  $('upload-history').addEventListener('change', e => { if (e.target.files[0]) upload(e.target.files[0], 'history'); });
  $('upload-rates').addEventListener('change', e => { if (e.target.files[0]) upload(e.target.files[0], 'rates'); });
  $('charts-go').addEventListener('click', () => st.final && charts());
  window.addEventListener('hashchange', () => { if (location.hash !== st.hash) readAddress(); });
  $('pin').addEventListener('click', pin);
  $('ask-kind').addEventListener('change', fillAsk);
  $('ask-go').addEventListener('click', () => st.sections && askGo());
  $('unpin').addEventListener('click', unpin);
  $('focus').addEventListener('change', () => { $('chart-links').textContent = ''; if (st.result) renderFan(st.result); });
  $('cards-target').addEventListener('change', () => st.result && renderCards(st.result));
  document.querySelectorAll('[data-add]').forEach(b => b.addEventListener('click', () => st.sections && addSection(b.getAttribute('data-add'))));
  loadScenarios().then(readAddress).then(taken => {
    const want = new URLSearchParams(location.search).get('scenario');
    if (!taken && want) { $('scenario').value = want; pickScenario(want); }
  }).catch(e => showPickErrors(e.message));
})();
