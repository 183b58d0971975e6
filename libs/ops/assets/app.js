/* 平江县政务服务集成网关 · 运维看板 — plain JavaScript, no build step, no network beyond this gateway. */
'use strict';
(function () {
  var API = new URL('../api/v1/', location.href).pathname;
  var state = { me: null, departments: [], view: null, timers: [], charts: {}, auditBefore: null };

  /** Separate duties (三权分立): which roles do what; the API enforces the same table. */
  var DUTIES = {
    read: ['viewer', 'operator'],
    status: ['viewer', 'operator', 'admin'],
    operate: ['operator'],
    accounts: ['admin'],
    configure: ['admin'],
    audit: ['auditor'],
  };
  var ROLE_LABEL = { viewer: '查看员', operator: '操作员', admin: '管理员', auditor: '审计员' };
  var LEVEL_LABEL = { green: '正常', amber: '注意', red: '需处理', grey: '未使用' };
  // Codes (delivery states, outcomes, audit actions, error and field codes) are described by the
  // gateway's one code catalogue (GET /api/v1/codes), loaded at sign-in; until it arrives a code shows as itself.
  var CODES = { categories: {} };
  var CATEGORY_ORDER = ['error', 'field', 'park', 'delivery', 'outcome', 'stage', 'callback', 'audit', 'auditBreak', 'login', 'breaker', 'platform'];
  function codeInfo(code, category) {
    if (code === undefined || code === null || code === '') return null;
    var cats = CODES.categories;
    if (category && cats[category] && cats[category][code]) return cats[category][code];
    for (var i = 0; i < CATEGORY_ORDER.length; i++) {
      var t = cats[CATEGORY_ORDER[i]];
      if (t && t[code]) return t[code];
    }
    var m = /^(HTTP|DEPT)_(\d{3})$/.exec(String(code));
    if (m) return { zh: (m[1] === 'DEPT' ? '部门系统拒收' : m[2] === '429' ? '对方限流' : m[2][0] === '5' ? '对方服务故障' : '对方拒绝') + '（HTTP ' + m[2] + '）' };
    return null;
  }
  /** A code's Chinese text, or the code itself when the catalogue does not know it. */
  function codeText(code, category) {
    var info = codeInfo(code, category);
    return info ? info.zh : code;
  }
  /** Chinese text with the code beside it in small print (what an operator quotes on the phone). */
  function codeLabel(code, category) {
    var info = codeInfo(code, category);
    return info ? [info.zh, ' ', h('small', null, code)] : code;
  }
  var TARGET_LABEL = {
    audit: '审计记录', backup: '备份', callback: '平台回调', department: '部门', inbound: '部门报文', instance: '网关实例',
    catalogue: '目录', matter: '事项', operator: '账号', outbox: '报送消息', reconciliation: '对账', retention: '保存期限', route: '接口',
  };
  // 电子证照登记状态 · licence registration (its own delivery step)
  var LICENCE_LABEL = { REGISTERED: '已登记', PENDING: '待登记', PARKED: '滞留', SKIPPED: '未登记', UNKNOWN: '未知' };
  /** The licences of a case (or a holder search): type, number, GB/T 36904 identifier, holder masked by the API. */
  function licenceTable(list) {
    return h(
      'table',
      { class: 'table licences' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          h('th', null, '证照 licence'),
          h('th', null, '证照编号 number'),
          h('th', null, '电子证照标识 identifier'),
          h('th', null, '持证人 holder'),
          h('th', null, '颁发 issued'),
          h('th', null, '登记 registration'),
        ),
      ),
      h(
        'tbody',
        null,
        list.map(function (l) {
          return h(
            'tr',
            null,
            h('td', null, l.typeName, ' ', h('small', null, l.typeCode)),
            h('td', null, l.numberFrom === 'GATEWAY' ? h('small', null, '（网关编号 gateway-numbered）') : l.certificateNo),
            h('td', { class: 'mono' }, l.identifier),
            h('td', null, (l.holder && l.holder.name) || '—', ' ', h('small', null, (l.holder && l.holder.certNo) || '')),
            h('td', { class: 'nowrap' }, l.issueDate, ' ', h('small', null, l.issuer || '')),
            h('td', null, h('span', { class: 'badge ' + (l.registration === 'REGISTERED' ? 'ok' : l.registration === 'PARKED' ? 'bad' : 'wait') }, LICENCE_LABEL[l.registration] || l.registration)),
          );
        }),
      ),
    );
  }
  var DETAIL_LABEL = {
    reason: '原因', code: '代码', role: '角色', disabled: '停用', passwordChanged: '已改密码', totpRequired: '须动态验证码',
    totpReset: '重置验证码', count: '数量', counts: '数量', from: '从', to: '到', department: '部门', channel: '渠道',
    row: '行', type: '类型', projectNo: '办件编号', taskCode: '事项编码', restriction: '限制', date: '日期', status: '状态',
    outcome: '结果', ip: '地址', secondFactor: '动态验证码', setup: '待完成设置', source: '来源', httpStatus: 'HTTP 状态', attempts: '尝试次数', filter: '条件', createdAt: '创建时间', chainOk: '审计链完好', ids: '编号',
    version: '目录版本', change: '变更', departments: '部门', matters: '事项', tokenIssued: '已发令牌', restoredFrom: '恢复自版本',
    id: '编号', overlapDays: '重叠天数', previousExpireAt: '旧令牌失效时间', shortened: '随之到期的旧令牌',
  };
  var TOKEN_SOURCE_LABEL = { env: '环境变量 env', stored: 'secrets.json', database: '看板签发 dashboard' };
  var TOKEN_STATE_LABEL = {
    active: ['有效', 'active', 'ok'],
    expiring: ['重叠期，到期失效', 'expires', 'wait'],
    expired: ['已过期', 'expired', 'bad'],
    revoked: ['已吊销', 'revoked', 'bad'],
  };
  /** An audit entry's detail as "原因：密码错误 · 行：3", never raw JSON. */
  function detailText(detail) {
    if (detail === undefined || detail === null || detail === '') return '';
    if (typeof detail !== 'object') return String(detail);
    return Object.keys(detail)
      .filter(function (k) {
        return detail[k] !== undefined && detail[k] !== null;
      })
      .map(function (k) {
        var v = detail[k];
        var text =
          typeof v === 'boolean' ? (v ? '是' : '否')
          : typeof v === 'string' && /^[A-Z][A-Z0-9_]{2,}$/.test(v) ? codeText(v)
          : Array.isArray(v) ? v.join('、') || '—'
          : typeof v === 'object' ? detailText(v)
          : String(v);
        return (DETAIL_LABEL[k] || k) + '：' + text;
      })
      .join(' · ');
  }
  var TOTP_LABEL = { on: '已启用', pending: '绑定中', off: '未启用' };

  // ---------- helpers ----------
  function $(id) {
    return document.getElementById(id);
  }
  /** Builds an element; strings become text nodes (never HTML), so nothing from the API is interpreted. */
  function h(tag, attrs) {
    var el = document.createElement(tag);
    if (attrs)
      Object.keys(attrs).forEach(function (k) {
        var v = attrs[k];
        if (v === undefined || v === null || v === false) return;
        if (k === 'class') el.className = v;
        else if (k.slice(0, 2) === 'on') el.addEventListener(k.slice(2), v);
        else if (k === 'dataset')
          Object.keys(v).forEach(function (d) {
            el.dataset[d] = v[d];
          });
        else el.setAttribute(k, v === true ? '' : v);
      });
    for (var i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c === undefined || c === null || c === false) return;
    if (Array.isArray(c))
      c.forEach(function (x) {
        append(el, x);
      });
    else el.appendChild(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  function clear(el) {
    while (el.firstChild) el.removeChild(el.firstChild);
    return el;
  }
  // The page's other script (figures.js, loaded after this one) builds its elements with the same helpers.
  window.gwDom = { h: h, append: append, clear: clear, licenceTable: licenceTable };
  function zhEn(zh, en) {
    return [zh, ' ', h('small', null, en)];
  }
  function fmtTime(iso) {
    if (!iso) return '—';
    var d = new Date(iso);
    if (isNaN(d.getTime())) return String(iso);
    return d.toLocaleString('zh-CN', { timeZone: 'Asia/Shanghai', hour12: false });
  }
  function fmtShort(iso) {
    return new Date(iso).toLocaleTimeString('zh-CN', {
      timeZone: 'Asia/Shanghai',
      hour12: false,
      hour: '2-digit',
      minute: '2-digit',
    });
  }
  function fmtAge(s) {
    if (!s) return '—';
    if (s < 60) return Math.round(s) + ' 秒';
    if (s < 3600) return Math.round(s / 60) + ' 分钟';
    if (s < 172800) return Math.round(s / 360) / 10 + ' 小时';
    return Math.round(s / 86400) + ' 天';
  }
  /** Whether the signed-in role has a duty (and the session is not limited to setting up its sign-in). */
  function can(duty) {
    return !!state.me && !state.me.setup && (DUTIES[duty] || []).indexOf(state.me.role) >= 0;
  }
  function localToIso(v) {
    return v ? new Date(v).toISOString() : undefined;
  }
  function setStatus(el, text, kind) {
    el.textContent = text || '';
    el.className = 'status' + (kind ? ' ' + kind : '');
  }

  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.message = (body && body.message) || 'HTTP ' + status;
  }

  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (res) {
      return res.text().then(function (text) {
        var data = null;
        try {
          data = text ? JSON.parse(text) : null;
        } catch (e) {
          data = { message: text.slice(0, 200) };
        }
        // A wrong code or current password is an answer, not a signed-out session.
        var answered = data && (data.code === 'TOTP_FAILED' || data.code === 'PASSWORD_WRONG');
        if (res.status === 401 && path.indexOf('auth/login') !== 0 && !answered) {
          showLogin(path === 'auth/me' ? '' : '会话已过期或未登录，请重新登录 · Please sign in again');
          throw new ApiError(401, data);
        }
        if (!res.ok) throw new ApiError(res.status, data);
        return data;
      });
    });
  }
  function query(params) {
    var q = Object.keys(params)
      .filter(function (k) {
        return params[k] !== undefined && params[k] !== '';
      })
      .map(function (k) {
        return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
      })
      .join('&');
    return q ? '?' + q : '';
  }
  function formParams(form) {
    var out = {};
    new FormData(form).forEach(function (v, k) {
      out[k] = String(v).trim();
    });
    return out;
  }

  // ---------- sign-in ----------
  function showLogin(message) {
    stopTimers();
    state.me = null;
    $('app-view').hidden = true;
    $('login-view').hidden = false;
    var err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('login-username').focus();
  }

  /** Sign-in in two steps when the account has a second factor: the password, then the app's code. */
  function resetLoginTotp() {
    state.pendingToken = null;
    $('login-totp').hidden = true;
    $('login-code').value = '';
    $('login-code').required = false;
    $('login-username').readOnly = false;
    $('login-password').readOnly = false;
  }
  $('login-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var btn = $('login-submit');
    btn.disabled = true;
    var step = state.pendingToken
      ? api('POST', 'auth/login/totp', { pendingToken: state.pendingToken, code: $('login-code').value.trim() })
      : api('POST', 'auth/login', { username: $('login-username').value, password: $('login-password').value });
    step
      .then(function (r) {
        if (r && r.needsTotp) {
          state.pendingToken = r.pendingToken;
          $('login-totp').hidden = false;
          $('login-code').required = true;
          $('login-username').readOnly = true;
          $('login-password').readOnly = true;
          $('login-error').hidden = false;
          $('login-error').textContent = '请输入身份验证器显示的6位动态验证码 · Enter the 6-digit code from your authenticator app';
          $('login-code').focus();
          return;
        }
        $('login-password').value = '';
        resetLoginTotp();
        return boot();
      })
      .catch(function (err) {
        var code = err.body && err.body.code;
        if (code === 'TOTP_CHALLENGE_INVALID' || err.status === 429) resetLoginTotp();
        var msg =
          err.status === 429
            ? err.message
            : code === 'TOTP_FAILED'
              ? '动态验证码错误或已使用 · Wrong or used code'
              : code === 'TOTP_CHALLENGE_INVALID'
                ? '登录已超时，请重新输入密码 · Timed out: enter the password again'
                : err.status === 401
                  ? '用户名或密码错误 · Wrong user name or password'
                  : '登录失败 · Sign-in failed: ' + err.message;
        $('login-error').hidden = false;
        $('login-error').textContent = msg;
      })
      .then(function () {
        btn.disabled = false;
      });
  });

  $('logout').addEventListener('click', function () {
    api('POST', 'auth/logout')
      .catch(function () {})
      .then(function () {
        showLogin('已退出 · Signed out');
      });
  });

  function loadCodes() {
    return api('GET', 'codes')
      .then(function (c) {
        CODES = c;
        fillAuditActions();
      })
      .catch(function () {});
  }

  function start() {
    var wasSetup = !!(state.me && state.me.setup);
    return Promise.all([api('GET', 'auth/me'), loadCodes()]).then(function (r) {
      var me = r[0];
      state.me = me;
      if (wasSetup && !me.setup) location.hash = '';
      $('login-view').hidden = true;
      $('app-view').hidden = false;
      $('who-name').textContent = me.username + ' · ' + (ROLE_LABEL[me.role] || me.role);
      document.querySelectorAll('[data-duty]').forEach(function (el) {
        if (!can(el.dataset.duty)) el.hidden = true;
        else if (el.id !== 'drain-toggle') el.hidden = false;
      });
      // Until the sign-in is set up (an expired password, a second factor to enrol) there is nothing else.
      $('nav').hidden = !!me.setup;
      var home = '#/' + homeView();
      if (me.setup) location.hash = '#/security';
      if (!location.hash || location.hash === '#/') location.hash = home;
      route();
    });
  }

  // ---------- routing ----------
  function stopTimers() {
    state.timers.forEach(clearInterval);
    state.timers = [];
  }
  function every(ms, fn) {
    state.timers.push(
      setInterval(function () {
        if (!document.hidden) fn();
      }, ms),
    );
  }

  /** Where a role starts: the overview, or the audit log for an auditor. */
  function homeView() {
    if (state.me && state.me.setup) return 'security';
    return can('status') ? 'overview' : can('audit') ? 'audit' : 'security';
  }
  /** The duty each view needs (the security view: everyone). */
  var VIEW_DUTY = { overview: 'status', parked: 'read', quarantine: 'read', cases: 'read', audit: 'audit', accounts: 'accounts', tokens: 'accounts', catalogue: 'configure' };
  function route() {
    if (!state.me) return;
    var view = (location.hash.replace(/^#\//, '') || homeView()).split('?')[0];
    if (!$('view-' + view) || (VIEW_DUTY[view] && !can(VIEW_DUTY[view]))) view = homeView();
    state.view = view;
    stopTimers();
    document.querySelectorAll('.view').forEach(function (v) {
      v.hidden = v.id !== 'view-' + view;
    });
    document.querySelectorAll('#nav a').forEach(function (a) {
      a.classList.toggle('active', a.dataset.view === view);
    });
    if (can('operate')) {
      refreshDrain();
      every(15000, refreshDrain);
    }
    if (view === 'overview') {
      loadOverview();
      loadSeries();
      every(5000, loadOverview);
      every(60000, loadSeries);
    }
    if (view === 'parked') loadParked();
    if (view === 'quarantine') loadQuarantine();
    if (view === 'audit') {
      state.auditBefore = null;
      loadAudit(false);
      verifyAuditChain();
    }
    if (view === 'accounts') loadAccounts();
    if (view === 'catalogue') loadCatalogue();
    if (view === 'tokens') loadTokens();
    // A token shown once is not left on screen when the admin goes elsewhere.
    else if (!$('token-issued').hidden) closeIssued();
    if (view === 'security') showSecurity();
    if (view === 'cases') $('case-q').focus();
  }
  window.addEventListener('hashchange', route);

  // ---------- drain switch ----------
  function refreshDrain() {
    if (!can('status')) return;
    api('GET', 'ops/drain')
      .then(function (d) {
        renderDrain(d.draining);
      })
      .catch(function () {});
  }
  function renderDrain(draining) {
    var b = $('drain-toggle');
    b.hidden = false;
    b.classList.toggle('on', draining);
    clear(b);
    append(b, draining ? zhEn('恢复报送', 'Resume') : zhEn('维护模式', 'Drain'));
    b.dataset.draining = draining ? '1' : '0';
    var banner = $('banner');
    banner.hidden = !draining;
    banner.textContent = draining
      ? '本实例处于维护模式：就绪检查返回503，已停止领取新的报送（部门报送照常接收）。 · This instance is drained for maintenance.'
      : '';
  }
  $('drain-toggle').addEventListener('click', function () {
    var draining = this.dataset.draining === '1';
    var msg = draining
      ? '恢复报送？ Resume delivery?'
      : '进入维护模式？本实例将停止领取新的报送，就绪检查返回503（用于升级）。 Drain this instance?';
    if (!confirm(msg)) return;
    api(draining ? 'DELETE' : 'POST', 'ops/drain')
      .then(function (d) {
        renderDrain(d.draining);
        if (state.view === 'overview') loadOverview();
      })
      .catch(function (e) {
        alert('操作失败 · Failed: ' + e.message);
      });
  });

  // ---------- overview ----------
  // "测试连接": the platform (one base URL for all its endpoints) or a department's receiving system,
  // tried now step by step; the result stays under its item across the overview's refreshes.
  var connTests = {};
  function connTarget(s) {
    if (s.key.indexOf('platform:') === 0) return { key: 'platform', path: 'ops/connection-test/platform' };
    if (s.key.indexOf('dept:') === 0 && s.facts && s.facts.deliveryBreaker)
      return { key: s.key, path: 'ops/connection-test/departments/' + encodeURIComponent(s.key.slice(5)) };
    return null;
  }
  function runConnTest(t) {
    connTests[t.key] = { running: true };
    renderConnTests();
    api('POST', t.path)
      .then(function (r) {
        connTests[t.key] = r;
      })
      .catch(function (e) {
        connTests[t.key] = { ok: false, verdict: (e.body && e.body.message) || e.message, steps: [] };
      })
      .then(renderConnTests);
  }
  function connResult(key) {
    var r = connTests[key];
    if (!r) return null;
    if (r.running) return h('div', { class: 'conn-test' }, '正在测试… · testing…');
    return h(
      'div',
      { class: 'conn-test ' + (r.ok ? 'ok' : r.side === 'ours' ? 'ours' : 'theirs'), dataset: { side: r.side || (r.ok ? 'none' : 'unknown') } },
      h('strong', null, r.verdict),
      h(
        'ul',
        null,
        (r.steps || []).map(function (st) {
          return h('li', null, (st.ok ? '✓ ' : '✗ ') + st.step + ' ', h('small', null, st.detail + (st.ms ? '（' + st.ms + ' ms）' : '')));
        }),
      ),
    );
  }
  function renderConnTests() {
    document.querySelectorAll('.conn-slot').forEach(function (slot) {
      append(clear(slot), connResult(slot.dataset.target));
    });
  }
  function item(s) {
    var t = can('operate') ? connTarget(s) : null;
    return h(
      'li',
      { dataset: { key: s.key, level: s.level }, title: s.hintEn || '' },
      h('span', { class: 'dot ' + s.level, 'aria-label': LEVEL_LABEL[s.level] }),
      h(
        'div',
        { class: 'body' },
        h('div', { class: 'name' }, s.name, ' ', h('small', null, s.nameEn)),
        h('div', { class: 'summary' }, s.summary),
        h('div', { class: 'hint' }, '→ ', s.hint, ' ', h('small', null, s.hintEn)),
        t
          ? h(
              'button',
              {
                type: 'button',
                class: 'conn-test-btn',
                onclick: function () {
                  runConnTest(t);
                },
              },
              zhEn('测试连接', 'Test connection'),
            )
          : null,
        t ? h('div', { class: 'conn-slot', dataset: { target: t.key } }, connResult(t.key)) : null,
      ),
    );
  }
  function figure(v, zh, en) {
    return h(
      'div',
      { class: 'figure' },
      h('div', { class: 'v' }, v),
      h('div', { class: 'k' }, zh, ' ', h('small', null, en)),
    );
  }

  function loadOverview() {
    return api('GET', 'ops/overview')
      .then(renderOverview)
      .catch(function (e) {
        if (e.status !== 401) $('overview-updated').textContent = '刷新失败 · refresh failed: ' + e.message;
      });
  }
  function renderOverview(o) {
    $('overall-dot').className = 'dot ' + o.level;
    $('overview-updated').textContent = '更新于 ' + fmtTime(o.generatedAt);
    var actions = clear($('actions'));
    actions.className = 'panel actions ' + o.level;
    actions.dataset.level = o.level;
    if (!o.actions.length)
      append(actions, h('h2', null, '一切正常，无需处理 ', h('small', null, 'All good: nothing to do')));
    else
      append(actions, [
        h('h2', null, '需要处理 ', h('small', null, 'What to do')),
        h(
          'ol',
          null,
          o.actions.map(function (a) {
            return h(
              'li',
              { dataset: { key: a.key, level: a.level } },
              h('span', { class: 'dot ' + a.level }),
              ' ',
              h('b', null, a.name),
              '：',
              a.hint,
              ' ',
              h('small', null, a.hintEn),
            );
          }),
        ),
      ]);
    append(clear($('services')), o.services.map(item));
    append(clear($('departments')), o.departments.map(item));
    var platform = clear($('platform'));
    if (!o.platform.length) append(platform, h('li', null, '本进程不报送市平台 · no delivery in this process'));
    append(platform, o.platform.map(item));
    var b = o.backlog;
    append(
      clear($('backlog')),
      b
        ? [
            figure(b.pending + b.inFlight, '待报送', 'pending'),
            figure(fmtAge(b.oldestPendingAgeSeconds), '最早等待', 'oldest'),
            figure(b.parked, '滞留', 'parked'),
            figure(b.quarantine, '隔离区', 'quarantine'),
          ]
        : h('p', { class: 'error' }, '数据库不可用 · database unavailable'),
    );
    if (state.me && can('operate')) renderDrain(o.draining);
  }

  function chart(id) {
    var el = $(id);
    if (!window.echarts) {
      clear(el);
      append(el, h('div', { class: 'empty' }, '图表组件未加载 · charts unavailable'));
      return null;
    }
    if (!state.charts[id]) state.charts[id] = window.echarts.init(el);
    return state.charts[id];
  }
  function loadSeries() {
    return api('GET', 'ops/series?hours=6')
      .then(function (s) {
        var x = s.buckets.map(function (b) {
          return fmtShort(b.at);
        });
        var t = chart('chart-throughput');
        if (t)
          t.setOption(
            {
              animation: false,
              tooltip: { trigger: 'axis' },
              legend: { top: 0, textStyle: { fontSize: 11 } },
              grid: { left: 40, right: 12, top: 28, bottom: 24 },
              xAxis: { type: 'category', data: x, axisLabel: { fontSize: 10 } },
              yAxis: { type: 'value', minInterval: 1 },
              series: [
                {
                  name: '接收 accepted',
                  type: 'bar',
                  stack: 'in',
                  data: s.buckets.map(function (b) {
                    return b.ingestAccepted;
                  }),
                  itemStyle: { color: '#5b8ff9' },
                },
                {
                  name: '不合格 invalid',
                  type: 'bar',
                  stack: 'in',
                  data: s.buckets.map(function (b) {
                    return b.ingestInvalid;
                  }),
                  itemStyle: { color: '#f6bd16' },
                },
                {
                  name: '拒收 refused',
                  type: 'bar',
                  stack: 'in',
                  data: s.buckets.map(function (b) {
                    return b.ingestRefused;
                  }),
                  itemStyle: { color: '#e86452' },
                },
                {
                  name: '报送 delivered',
                  type: 'line',
                  data: s.buckets.map(function (b) {
                    return b.deliveries - b.deliveryFailures;
                  }),
                  itemStyle: { color: '#1f9d55' },
                },
                {
                  name: '报送失败 failed',
                  type: 'line',
                  data: s.buckets.map(function (b) {
                    return b.deliveryFailures;
                  }),
                  itemStyle: { color: '#d0342c' },
                },
              ],
            },
            true,
          );
        var l = chart('chart-latency');
        if (l)
          l.setOption(
            {
              animation: false,
              tooltip: { trigger: 'axis' },
              legend: { top: 0, textStyle: { fontSize: 11 } },
              grid: { left: 48, right: 12, top: 28, bottom: 24 },
              xAxis: { type: 'category', data: x, axisLabel: { fontSize: 10 } },
              yAxis: { type: 'value', name: 'ms' },
              series: [
                {
                  name: '平均 avg',
                  type: 'line',
                  connectNulls: false,
                  data: s.buckets.map(function (b) {
                    return b.avgLatencyMs;
                  }),
                  itemStyle: { color: '#1565c0' },
                },
                {
                  name: '最大 max',
                  type: 'line',
                  connectNulls: false,
                  data: s.buckets.map(function (b) {
                    return b.maxLatencyMs;
                  }),
                  itemStyle: { color: '#d98a00' },
                },
              ],
            },
            true,
          );
      })
      .catch(function () {});
  }
  window.addEventListener('resize', function () {
    Object.keys(state.charts).forEach(function (k) {
      state.charts[k].resize();
    });
  });
  $('overview-refresh').addEventListener('click', function () {
    loadOverview();
    loadSeries();
  });

  // ---------- departments for the filters ----------
  function fillDepartmentSelects(depts) {
    document.querySelectorAll('select.dept-select').forEach(function (sel) {
      var current = sel.value;
      clear(sel);
      append(sel, h('option', { value: '' }, '全部 all'));
      depts.forEach(function (d) {
        append(sel, h('option', { value: d.code }, d.name + ' ' + d.code));
      });
      sel.value = current;
    });
  }

  // ---------- parked ----------
  function parkedFilter() {
    var p = formParams($('parked-filter'));
    return {
      dept: p.dept || undefined,
      code: p.code || undefined,
      since: localToIso(p.since),
      until: localToIso(p.until),
    };
  }
  function loadParked() {
    var status = $('parked-status');
    setStatus(status, '加载中… loading');
    return api('GET', 'parked' + query(parkedFilter()))
      .then(function (r) {
        setStatus(status, '共 ' + r.total + ' 条 · ' + r.total + ' parked');
        var rows = clear($('parked-rows'));
        if (!r.items.length) append(rows, h('tr', null, h('td', { colspan: 8 }, '没有滞留消息 · nothing parked')));
        r.items.forEach(function (m) {
          append(
            rows,
            h(
              'tr',
              { dataset: { id: m.id, caseNo: m.sourceCaseNo || '' } },
              h('td', { class: 'nowrap' }, fmtTime(m.parkedAt)),
              h('td', null, m.department),
              h(
                'td',
                null,
                h(
                  'a',
                  {
                    href: '#/cases',
                    onclick: function () {
                      setTimeout(function () {
                        $('case-q').value = m.sourceCaseNo;
                        searchCases();
                      }, 0);
                    },
                  },
                  m.sourceCaseNo,
                ),
              ),
              h('td', null, m.stage),
              h('td', null, h('span', { class: 'badge bad', title: m.code }, codeText(m.code, 'park'))),
              h('td', { class: 'reason' }, m.reason),
              h('td', null, m.attempts),
              h(
                'td',
                null,
                can('operate')
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'rerun',
                        onclick: function () {
                          rerunOne(m);
                        },
                      },
                      zhEn('重发', 'Rerun'),
                    )
                  : null,
              ),
            ),
          );
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus(status, '加载失败 · failed: ' + e.message, 'error');
      });
  }
  function rerunOne(m) {
    if (!confirm('重新发送办件 ' + m.sourceCaseNo + ' 的这条消息？请确认数据已修正。 Rerun this message?')) return;
    api('POST', 'parked/' + encodeURIComponent(m.id) + '/rerun')
      .then(function (r) {
        return loadParked().then(function () {
          setStatus($('parked-status'), '已重发 ' + r.rerun + ' 条 · rerun ' + r.rerun, 'ok');
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('parked-status'), '重发失败 · failed: ' + e.message, 'error');
      });
  }
  $('parked-filter').addEventListener('submit', function (e) {
    e.preventDefault();
    loadParked();
  });
  $('parked-rerun-all').addEventListener('click', function () {
    var f = parkedFilter();
    if (!confirm('按当前条件重新发送全部滞留消息？ Rerun every parked message matching the filter?')) return;
    api('POST', 'parked/rerun', f)
      .then(function (r) {
        return loadParked().then(function () {
          setStatus($('parked-status'), '已重发 ' + r.rerun + ' 条 · rerun ' + r.rerun, 'ok');
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('parked-status'), '重发失败 · failed: ' + e.message, 'error');
      });
  });

  // ---------- quarantine ----------
  function quarantineFilter() {
    var p = formParams($('quarantine-filter'));
    return {
      dept: p.dept || undefined,
      code: p.code || undefined,
      since: localToIso(p.since),
      until: localToIso(p.until),
    };
  }
  function quarantineError(e) {
    if (e.status === 404)
      return '隔离区接口暂不可用（HTTP 404）：网关版本尚未提供该功能 · the quarantine API is not available on this gateway';
    if (e.body && e.body.code) return codeText(e.body.code) + ' ' + e.body.code + (e.body.message ? '：' + e.body.message : '');
    return '加载失败 · failed: ' + e.message;
  }
  function loadQuarantine() {
    var status = $('quarantine-status');
    setStatus(status, '加载中… loading');
    var rows = clear($('quarantine-rows'));
    return api('GET', 'quarantine' + query(quarantineFilter()))
      .then(function (r) {
        var items = (r && r.items) || [];
        setStatus(status, '共 ' + (r.total != null ? r.total : items.length) + ' 条 · in quarantine');
        if (!items.length) append(rows, h('tr', null, h('td', { colspan: 7 }, '隔离区为空 · the quarantine is empty')));
        items.forEach(function (m) {
          append(
            rows,
            h(
              'tr',
              { dataset: { id: m.id } },
              h('td', { class: 'nowrap' }, fmtTime(m.receivedAt)),
              h(
                'td',
                null,
                m.department,
                m.channel && m.channel !== 'event' ? h('small', null, ' ' + m.channel) : null,
              ),
              h(
                'td',
                null,
                h('span', { class: 'badge bad' }, codeText(m.outcome, 'outcome') + ' ' + (m.httpStatus || '')),
              ),
              h('td', null, codeLabel(m.errorCode, 'error')),
              h(
                'td',
                { class: 'reason' },
                (m.errors || []).map(function (x) {
                  return h(
                    'div',
                    null,
                    h('code', null, x.field),
                    ' ',
                    x.message || codeText(x.code, 'field'),
                    ' ',
                    h('small', null, x.code),
                  );
                }),
              ),
              h('td', null, h('small', null, m.sourceEventId || '—')),
              h(
                'td',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'view-raw',
                    onclick: function () {
                      showRaw(m);
                    },
                  },
                  can('operate') ? zhEn('查看/修正', 'View/correct') : zhEn('查看', 'View'),
                ),
                can('operate')
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'replay',
                        onclick: function () {
                          replayOne(m);
                        },
                      },
                      zhEn('重放', 'Replay'),
                    )
                  : null,
              ),
            ),
          );
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus(status, quarantineError(e), 'error');
      });
  }
  /** Why one replay was not accepted, in words: its code's text and the first field's problem. */
  function replayReason(x) {
    var first = (x.errors || [])[0];
    return codeText(x.code) + (first ? '：' + first.field + ' ' + (first.message || codeText(first.code, 'field')) : x.message ? '：' + x.message : '');
  }
  function replaySummary(r) {
    var results = r.results || [];
    var refused = results.filter(function (x) {
      return x.httpStatus >= 300;
    });
    var text = '已重放 ' + r.replayed + ' 条，其中 ' + (results.length - refused.length) + ' 条已接收 · replayed ' + r.replayed + ', accepted ' + (results.length - refused.length);
    // Every replay says why: the reasons of the refused ones (the first few; the rest are in the list).
    if (refused.length) text += '。未接收原因 · why not: ' + refused.slice(0, 3).map(replayReason).join('；') + (refused.length > 3 ? '…' : '');
    return text;
  }

  // The message itself: decoded, masked, its failing fields marked; corrected in place by an operator.
  var rawShown = null;
  function prettyIfJson(text) {
    try {
      return JSON.stringify(JSON.parse(text), null, 2);
    } catch (e) {
      return text;
    }
  }
  function showRaw(m) {
    var box = $('quarantine-detail');
    setStatus($('quarantine-detail-status'), '');
    api('GET', 'quarantine/' + encodeURIComponent(m.id) + '/raw')
      .then(function (r) {
        rawShown = r;
        var text = prettyIfJson(r.text);
        $('quarantine-detail-head').textContent =
          r.department + ' · ' + (r.mediaType || '') + ' · ' + (r.charset === 'gb18030' ? 'GBK' : 'UTF-8') + ' · ' + codeText(r.errorCode) +
          (r.failingFields.length ? ' · 出错字段 fields: ' + r.failingFields.join('、') : '');
        var pre = clear($('quarantine-raw'));
        text.split('\n').forEach(function (line) {
          var bad = r.failingFields.some(function (f) {
            return f && line.indexOf(f) >= 0;
          });
          append(pre, h('span', { class: bad ? 'line bad' : 'line' }, line + '\n'));
        });
        $('quarantine-text').value = text;
        $('quarantine-edit').hidden = true;
        $('quarantine-correct').hidden = !can('operate') || !r.editable;
        $('quarantine-correct-send').hidden = true;
        var attempts = clear($('quarantine-attempts'));
        r.attempts.forEach(function (a) {
          append(attempts, h('li', null, fmtTime(a.at) + ' ' + (a.channel === 'correction' ? '修正' : '重放') + ' → ' + codeText(a.outcome, 'outcome') + (a.code ? '（' + codeText(a.code) + '）' : '')));
        });
        box.hidden = false;
        box.scrollIntoView({ block: 'nearest' });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('quarantine-status'), quarantineError(e), 'error');
      });
  }
  $('quarantine-correct').addEventListener('click', function () {
    $('quarantine-edit').hidden = false;
    $('quarantine-correct').hidden = true;
    $('quarantine-correct-send').hidden = false;
    $('quarantine-text').focus();
  });
  $('quarantine-detail-close').addEventListener('click', function () {
    $('quarantine-detail').hidden = true;
    rawShown = null;
  });
  $('quarantine-correct-send').addEventListener('click', function () {
    if (!rawShown) return;
    var id = rawShown.id;
    api('POST', 'quarantine/' + encodeURIComponent(id) + '/correct', { text: $('quarantine-text').value })
      .then(function (r) {
        var res = { replayed: 1, results: [r] };
        var ok = r.httpStatus < 300;
        return loadQuarantine().then(function () {
          setStatus($('quarantine-detail-status'), ok ? '已修正并接收 · corrected and accepted' : replaySummary(res), ok ? 'ok' : 'error');
          setStatus($('quarantine-status'), replaySummary(res), replayKind(res));
          if (ok) $('quarantine-edit').hidden = true;
          if (ok) $('quarantine-correct-send').hidden = true;
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('quarantine-detail-status'), quarantineError(e), 'error');
      });
  });
  /** Green only when everything replayed was accepted: otherwise the data is still wrong. */
  function replayKind(r) {
    var results = r.results || [];
    return results.length &&
      results.every(function (x) {
        return x.httpStatus < 300;
      })
      ? 'ok'
      : 'error';
  }
  function replayOne(m) {
    if (!confirm('用当前的映射重新处理这条报文？ Replay this message through the current mapping?')) return;
    api('POST', 'quarantine/' + encodeURIComponent(m.id) + '/replay')
      .then(function (r) {
        var res = r && r.httpStatus !== undefined ? { replayed: 1, results: [r] } : r;
        return loadQuarantine().then(function () {
          setStatus($('quarantine-status'), replaySummary(res), replayKind(res));
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('quarantine-status'), quarantineError(e), 'error');
      });
  }
  $('quarantine-filter').addEventListener('submit', function (e) {
    e.preventDefault();
    loadQuarantine();
  });
  $('quarantine-replay-all').addEventListener('click', function () {
    if (!confirm('按当前条件重放全部隔离报文？ Replay every quarantined message matching the filter?')) return;
    api('POST', 'quarantine/replay', quarantineFilter())
      .then(function (r) {
        return loadQuarantine().then(function () {
          setStatus($('quarantine-status'), replaySummary(r), replayKind(r));
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('quarantine-status'), quarantineError(e), 'error');
      });
  });

  // ---------- cases ----------
  var CERT_LABEL = {
    111: '居民身份证',
    112: '临时居民身份证',
    113: '户口簿',
    414: '普通护照',
    511: '台湾居民来往大陆通行证',
    516: '港澳同胞回乡证',
    553: '外国人永久居留身份证',
    990: '其他证件',
    USCC: '统一社会信用代码',
  };
  function party(p) {
    if (!p) return '—';
    return [
      p.name,
      ' ',
      h(
        'small',
        null,
        (CERT_LABEL[p.certType] || p.certType) +
          ' ' +
          p.certNo +
          (p.phone ? ' · ' + p.phone : '') +
          (p.legalRep ? ' · 法定代表人 ' + p.legalRep : ''),
      ),
    ];
  }
  function renderCase(c) {
    var d = c.delivery || {};
    return h(
      'div',
      { class: 'case', dataset: { caseId: c.caseId } },
      h(
        'h2',
        null,
        c.departmentName || c.department,
        ' · ',
        c.sourceCaseNo,
        ' ',
        h(
          'span',
          { class: 'badge ' + (d.state === 'PARKED' ? 'bad' : d.state === 'DELIVERED' ? 'ok' : 'wait') },
          codeText(d.state, 'delivery'),
        ),
      ),
      h(
        'dl',
        null,
        h('dt', null, '事项 matter'),
        h('dd', null, c.matterName, ' ', h('small', null, c.matterCode)),
        h('dt', null, '申办号 project_no'),
        h('dd', null, c.platformProjectNo || '（尚未受理上报）'),
        h('dt', null, '当前环节 stage'),
        h('dd', null, c.currentStageLabel, c.closed ? '（已办结）' : ''),
        h('dt', null, '办理地点 place'),
        h('dd', null, c.locationName || c.location || '—'),
        h('dt', null, '申请人 applicant'),
        h(
          'dd',
          null,
          (c.applicants || []).map(function (p) {
            return h('div', null, party(p));
          }),
        ),
        h('dt', null, '代理人 agent'),
        h('dd', null, party(c.agent)),
        h('dt', null, '报送 delivery'),
        h(
          'dd',
          null,
          '已报送 ' +
            (d.delivered || 0) +
            '，待报送 ' +
            ((d.pending || 0) + (d.inFlight || 0)) +
            '，滞留 ' +
            (d.parked || 0),
        ),
        h('dt', null, '受理时间 opened'),
        h('dd', null, fmtTime(c.openedAt)),
      ),
      c.licences && c.licences.length ? h('h3', null, '电子证照 ', h('small', null, 'Licences')) : null,
      c.licences && c.licences.length ? licenceTable(c.licences) : null,
      h('h3', null, '环节时间线 ', h('small', null, 'Stage timeline')),
      h(
        'ol',
        { class: 'timeline' },
        (c.stages || []).map(function (s) {
          var del = s.delivery;
          return h(
            'li',
            { dataset: { stage: s.stage } },
            h('span', { class: 'when' }, fmtTime(s.stageTime)),
            h('b', null, s.stageLabel),
            s.stageName && s.stageName !== s.stageLabel ? h('small', null, ' ' + s.stageName) : null,
            ' ',
            del
              ? h('span', { class: 'badge ' + del.status }, codeText(del.status, 'delivery'))
              : h('span', { class: 'badge' }, '不报送'),
            s.opinion ? h('div', null, h('small', null, '意见 ' + s.opinion)) : null,
            del && del.parkedReason ? h('div', { class: 'error' }, '滞留原因：', del.parkedReason) : null,
            del && del.history && del.history.length
              ? h(
                  'table',
                  { class: 'table' },
                  h(
                    'thead',
                    null,
                    h(
                      'tr',
                      null,
                      h('th', null, '时间 at'),
                      h('th', null, '接口 endpoint'),
                      h('th', null, 'HTTP'),
                      h('th', null, '平台代码 code'),
                      h('th', null, '耗时 ms'),
                      h('th', null, '结果 outcome'),
                      h('th', null, '说明 message'),
                    ),
                  ),
                  h(
                    'tbody',
                    null,
                    del.history.map(function (a) {
                      return h(
                        'tr',
                        null,
                        h('td', { class: 'nowrap' }, fmtTime(a.at)),
                        h('td', null, a.endpoint),
                        h('td', null, a.httpStatus == null ? '—' : a.httpStatus),
                        h('td', null, a.businessCode == null ? '—' : a.businessCode),
                        h('td', null, a.durationMs),
                        h('td', null, a.outcome),
                        h('td', { class: 'reason' }, a.message || ''),
                      );
                    }),
                  ),
                )
              : null,
          );
        }),
      ),
    );
  }
  function searchCases() {
    var q = $('case-q').value.trim();
    var status = $('case-status');
    var out = clear($('case-results'));
    if (!q) return;
    setStatus(status, '查询中… searching');
    api('GET', 'ops/cases' + query({ q: q }))
      .then(function (r) {
        if (!r.items.length) {
          setStatus(status, '没有找到 ' + q + ' · no case with this number', 'error');
          return;
        }
        setStatus(status, '找到 ' + r.total + ' 件 · found ' + r.total);
        r.items.forEach(function (c) {
          append(out, renderCase(c));
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus(status, '查询失败 · failed: ' + e.message, 'error');
      });
  }
  $('case-search').addEventListener('submit', function (e) {
    e.preventDefault();
    searchCases();
  });

  // ---------- audit ----------
  /** The action filter lists every audit action of the catalogue (filled once it has loaded). */
  function fillAuditActions() {
    var sel = clear($('audit-action'));
    append(sel, h('option', { value: '' }, '全部 all'));
    var actions = CODES.categories.audit || {};
    Object.keys(actions).forEach(function (k) {
      append(sel, h('option', { value: k }, actions[k].zh + ' ' + k));
    });
  }
  function loadAudit(more) {
    var p = formParams($('audit-filter'));
    var rows = $('audit-rows');
    if (!more) {
      clear(rows);
      state.auditBefore = null;
    }
    return api(
      'GET',
      'ops/audit' +
        query({
          limit: 100,
          action: p.action || undefined,
          actor: p.actor || undefined,
          before: more ? state.auditBefore : undefined,
        }),
    )
      .then(function (r) {
        r.items.forEach(function (a) {
          append(
            rows,
            h(
              'tr',
              { dataset: { action: a.action } },
              h('td', { class: 'nowrap' }, fmtTime(a.at)),
              h('td', null, a.actor),
              h('td', null, codeLabel(a.action, 'audit')),
              h('td', null, [TARGET_LABEL[a.targetType] || a.targetType, a.targetId].filter(Boolean).join(' ')),
              h('td', { class: 'reason' }, a.detail ? h('small', null, detailText(a.detail)) : ''),
            ),
          );
        });
        state.auditBefore = r.nextBefore;
        $('audit-more').hidden = r.items.length < 100;
      })
      .catch(function () {});
  }
  /** The chain check (GET ops/audit/verify): green when intact, red naming the first broken entry. */
  function verifyAuditChain() {
    var box = $('audit-chain');
    var text = $('audit-chain-text');
    box.dataset.state = 'unknown';
    box.className = 'panel actions';
    text.className = 'status';
    text.textContent = '校验中… Checking…';
    return api('GET', 'ops/audit/verify')
      .then(function (v) {
        box.dataset.state = v.ok ? 'ok' : 'broken';
        box.className = 'panel actions ' + (v.ok ? 'green' : 'red');
        text.className = 'status ' + (v.ok ? 'ok' : 'error');
        text.textContent = v.ok
          ? '审计链完整：已校验 ' + v.checked + ' 条（第 ' + v.firstSeq + '–' + v.headSeq + ' 条） audit chain intact: ' + v.checked + ' entries checked'
          : '审计链断裂 audit chain broken: ' + v.broken.message;
      })
      .catch(function (e) {
        text.className = 'status error';
        text.textContent = '无法校验 cannot verify' + (e && e.status ? ' (' + e.status + ')' : '');
      });
  }
  $('audit-verify').addEventListener('click', verifyAuditChain);
  $('audit-export').addEventListener('submit', function (e) {
    e.preventDefault();
    var p = formParams($('audit-export'));
    // Dates are the operator's local days: from 00:00 of the first to 00:00 after the last.
    var from = new Date(p.from + 'T00:00:00');
    var to = new Date(p.to + 'T00:00:00');
    to.setDate(to.getDate() + 1);
    window.location.href = API + 'ops/audit/export' + query({ from: from.toISOString(), to: to.toISOString() });
  });
  $('audit-filter').addEventListener('submit', function (e) {
    e.preventDefault();
    loadAudit(false);
  });
  $('audit-more').addEventListener('click', function () {
    loadAudit(true);
  });

  // ---------- department tokens (admin) ----------
  /** One table of tokens (or callback secrets): never a value, only ids, dates and state. */
  function tokenTable(items, revokePath) {
    return h(
      'div',
      { class: 'table-scroll' },
      h(
        'table',
        { class: 'table' },
        h(
          'thead',
          null,
          h(
            'tr',
            null,
            h('th', null, zhEn('编号', 'Id')),
            h('th', null, zhEn('来源', 'Source')),
            h('th', null, zhEn('状态', 'State')),
            h('th', null, zhEn('签发', 'Issued')),
            h('th', null, zhEn('失效时间', 'Expires')),
            h('th', null, zhEn('最近使用', 'Last used')),
            h('th', null, ''),
          ),
        ),
        h(
          'tbody',
          null,
          items.map(function (t) {
            var st = TOKEN_STATE_LABEL[t.state] || [t.state, t.state, 'wait'];
            var live = t.state === 'active' || t.state === 'expiring';
            return h(
              'tr',
              { dataset: { tokenId: t.id, state: t.state } },
              h('td', null, t.id),
              h('td', null, TOKEN_SOURCE_LABEL[t.source] || t.source),
              h('td', null, h('span', { class: 'badge ' + st[2] }, st[0] + ' ' + st[1]), t.environmentWins ? h('small', null, ' 环境变量为准 env wins') : null),
              h('td', { class: 'nowrap' }, fmtTime(t.createdAt), ' ', h('small', null, t.createdBy)),
              h('td', { class: 'nowrap' }, t.revokedAt ? fmtTime(t.revokedAt) : fmtTime(t.expiresAt)),
              h('td', { class: 'nowrap' }, fmtTime(t.lastUsedAt)),
              h(
                'td',
                null,
                live && !t.environmentWins
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'token-revoke',
                        onclick: function () {
                          if (!confirm('立即吊销令牌 ' + t.id + '？使用它的系统将马上被拒绝。 Revoke this token now?')) return;
                          api('DELETE', revokePath + encodeURIComponent(t.id))
                            .then(function () {
                              setStatus($('tokens-status'), '已吊销 ' + t.id + ' · revoked', 'ok');
                              return loadTokens();
                            })
                            .catch(function (e) {
                              if (e.status !== 401) setStatus($('tokens-status'), '吊销失败 · failed: ' + e.message, 'error');
                            });
                        },
                      },
                      zhEn('吊销', 'Revoke'),
                    )
                  : null,
              ),
            );
          }),
        ),
      ),
    );
  }
  function overlapDays() {
    var v = Number($('token-overlap').value);
    return isFinite(v) ? Math.round(v) : 7;
  }
  /** Issues a new token (or callback secret) and shows it once, with a copy button. */
  function issueToken(path, label) {
    var days = overlapDays();
    if (!(days >= 0 && days <= 90)) {
      setStatus($('tokens-status'), '重叠天数须为0到90 · overlap must be 0–90 days', 'error');
      return;
    }
    if (!confirm('为「' + label + '」签发新令牌？旧令牌将在 ' + days + ' 天后失效。 Issue a new token? The old ones expire in ' + days + ' days.')) return;
    api('POST', path, { overlapDays: days })
      .then(function (r) {
        $('token-issued-value').value = r.token;
        clear($('token-issued-for'));
        append(
          $('token-issued-for'),
          zhEn(
            '「' + label + '」的新令牌（编号 ' + r.id + '）。请立即复制并交给厂商，关闭后无法再次查看。旧令牌将于 ' + fmtTime(r.previousExpireAt) + ' 失效。',
            'Copy it now: it cannot be shown again. The old ones expire at ' + r.previousExpireAt + '.',
          ),
        );
        $('token-issued').hidden = false;
        $('token-issued-value').focus();
        $('token-issued-value').select();
        setStatus($('tokens-status'), '已签发 · issued', 'ok');
        return loadTokens();
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('tokens-status'), '签发失败 · failed: ' + e.message, 'error');
      });
  }
  function closeIssued() {
    $('token-issued-value').value = '';
    $('token-issued').hidden = true;
  }
  $('token-issued-close').addEventListener('click', closeIssued);
  $('token-copy').addEventListener('click', function () {
    var input = $('token-issued-value');
    var done = function () {
      setStatus($('tokens-status'), '已复制到剪贴板 · copied', 'ok');
    };
    input.select();
    if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(input.value).then(done, function () {
      if (document.execCommand('copy')) done();
    });
    else if (document.execCommand('copy')) done();
  });
  $('token-settings').addEventListener('submit', function (e) {
    e.preventDefault();
  });
  function loadTokens() {
    var status = $('tokens-status');
    return Promise.all([api('GET', 'ops/department-tokens'), api('GET', 'platform/callback-secret')])
      .then(function (r) {
        var box = clear($('token-departments'));
        r[0].items.forEach(function (d) {
          append(
            box,
            h(
              'div',
              { class: 'panel token-dept', dataset: { dept: d.code } },
              h(
                'h2',
                null,
                d.name + ' ',
                h('small', null, d.code),
                d.enabled ? null : h('span', { class: 'badge wait' }, '未启用 disabled'),
                h(
                  'button',
                  {
                    type: 'button',
                    class: 'primary token-issue',
                    onclick: function () {
                      issueToken('departments/' + encodeURIComponent(d.code) + '/tokens', d.name + ' ' + d.code);
                    },
                  },
                  zhEn('签发新令牌', 'Issue new token'),
                ),
              ),
              d.tokens.length ? tokenTable(d.tokens, 'departments/' + encodeURIComponent(d.code) + '/tokens/') : h('p', { class: 'explain' }, '尚无令牌 no token yet'),
            ),
          );
        });
        append(
          box,
          h(
            'div',
            { class: 'panel token-dept', dataset: { dept: 'PLATFORM' } },
            h(
              'h2',
              null,
              '市平台回调密钥 ',
              h('small', null, 'Platform callback secret'),
              h(
                'button',
                {
                  type: 'button',
                  class: 'primary token-issue',
                  onclick: function () {
                    issueToken('platform/callback-secret', '市平台回调密钥');
                  },
                },
                zhEn('签发新密钥', 'Issue new secret'),
              ),
            ),
            h('p', { class: 'explain' }, zhEn('新密钥交给市平台后，重叠期内新旧密钥签名的回调都会被接受。', 'During the overlap callbacks signed with either secret are accepted.')),
            tokenTable(r[1].items, 'platform/callback-secret/'),
          ),
        );
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus(status, '加载失败 · failed: ' + e.message, 'error');
      });
  }

  // ---------- accounts ----------
  function loadAccounts() {
    var status = $('accounts-status');
    return api('GET', 'ops/operators')
      .then(function (r) {
        var rows = clear($('account-rows'));
        r.items.forEach(function (a) {
          var role = h(
            'select',
            {
              onchange: function () {
                updateAccount(a.username, { role: role.value });
              },
            },
            ['viewer', 'operator', 'admin', 'auditor'].map(function (x) {
              var o = h('option', { value: x }, ROLE_LABEL[x] + ' ' + x);
              if (x === a.role) o.selected = true;
              return o;
            }),
          );
          append(
            rows,
            h(
              'tr',
              { dataset: { username: a.username } },
              h('td', null, a.username),
              h('td', null, role),
              h(
                'td',
                null,
                a.disabled
                  ? h('span', { class: 'badge bad' }, '已停用 disabled')
                  : h('span', { class: 'badge ok' }, '启用 active'),
              ),
              h(
                'td',
                { class: 'totp' },
                h('span', { class: 'badge ' + (a.totp === 'on' ? 'ok' : 'wait') }, TOTP_LABEL[a.totp] || a.totp),
                ' ',
                a.role === 'admin'
                  ? h('small', null, '管理员必须 required')
                  : h(
                      'label',
                      null,
                      h('input', {
                        type: 'checkbox',
                        class: 'totp-required',
                        checked: a.totpRequired,
                        onchange: function (e) {
                          updateAccount(a.username, { totpRequired: e.target.checked });
                        },
                      }),
                      ' 要求 ',
                      h('small', null, 'required'),
                    ),
                a.totp !== 'off'
                  ? h(
                      'button',
                      {
                        type: 'button',
                        class: 'totp-reset',
                        onclick: function () {
                          if (confirm('清除 ' + a.username + ' 的动态验证码？下次登录时需重新绑定。 Reset the second factor?'))
                            updateAccount(a.username, { resetTotp: true });
                        },
                      },
                      zhEn('重置', 'Reset'),
                    )
                  : null,
              ),
              h('td', null, fmtTime(a.lastLoginAt)),
              h(
                'td',
                null,
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: function () {
                      updateAccount(a.username, { disabled: !a.disabled });
                    },
                  },
                  a.disabled ? zhEn('启用', 'Enable') : zhEn('停用', 'Disable'),
                ),
                ' ',
                h(
                  'button',
                  {
                    type: 'button',
                    onclick: function () {
                      var pw = prompt('为 ' + a.username + ' 设置新密码（至少12位，含三类字符）· New password (12+ characters, three classes)');
                      if (pw) updateAccount(a.username, { password: pw });
                    },
                  },
                  zhEn('重设密码', 'Reset password'),
                ),
              ),
            ),
          );
        });
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus(status, '加载失败 · failed: ' + e.message, 'error');
      });
  }
  function updateAccount(username, patch) {
    api('PATCH', 'ops/operators/' + encodeURIComponent(username), patch)
      .then(function () {
        setStatus($('accounts-status'), '已保存 · saved', 'ok');
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('accounts-status'), '保存失败 · failed: ' + e.message, 'error');
      })
      .then(loadAccounts);
  }
  $('account-create').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = this;
    var p = formParams(form);
    api('POST', 'ops/operators', { username: p.username, role: p.role, password: new FormData(form).get('password') })
      .then(function () {
        form.reset();
        setStatus($('accounts-status'), '已新建 ' + p.username + ' · created', 'ok');
        loadAccounts();
      })
      .catch(function (err) {
        if (err.status !== 401) setStatus($('accounts-status'), '新建失败 · failed: ' + err.message, 'error');
      });
  });


  // ---------- catalogue: departments (JSON mapping) and matters ----------
  /** The gateway fields a flat-JSON department maps, with their Chinese labels (in this order). */
  var MAPPED_FIELDS = [
    ['sourceEventId', '事件流水号（去重用）', 'event id (dedup key)'],
    ['sourceCaseNo', '部门办件编号', "department's case number"],
    ['platformProjectNo', '申办号（网上申报的）', 'platform project no. (online cases)'],
    ['matterCode', '事项编码', 'matter code'],
    ['matterName', '事项名称', 'matter name'],
    ['stage', '办理环节（状态码）', 'stage (status code)'],
    ['stageTime', '环节时间', 'stage time'],
    ['handler.name', '经办人', 'handler'],
    ['handler.unit', '经办科室', "handler's unit"],
    ['opinion', '办理意见', 'opinion'],
    ['applicants[0].name', '申请人姓名', 'applicant name'],
    ['applicants[0].certType', '申请人证件类型', 'applicant certificate type'],
    ['applicants[0].certNo', '申请人证件号码', 'applicant certificate number'],
    ['applicants[0].phone', '申请人手机', 'applicant phone'],
    ['location', '办理地点（区划代码）', 'location (division code)'],
    ['result.type', '办结结果', 'result'],
    ['result.explain', '结果说明', 'result explanation'],
    ['result.certificateName', '证书名称', 'certificate name'],
    ['result.certificateNo', '证书编号', 'certificate number'],
  ];
  var USCC_CHARS = '0123456789ABCDEFGHJKLMNPQRTUWXY';
  var USCC_WEIGHTS = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];
  /** GB 32100 统一社会信用代码: null when valid, else why (checked as typed; the server checks again). */
  function usccProblem(code) {
    if (!code) return '';
    if (!/^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$/.test(code))
      return code.length !== 18 ? '应为18位，已输入 ' + code.length + ' 位 · 18 characters' : '含有不允许的字符（不用 I O Z S V）· characters not allowed';
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += USCC_CHARS.indexOf(code[i]) * USCC_WEIGHTS[i];
    var want = USCC_CHARS[(31 - (sum % 31)) % 31];
    return code[17] === want ? null : '校验位不对，应为 ' + want + ' · check digit wrong (should be ' + want + ')';
  }
  var catalogue = { current: null, template: null };
  function showCheck(el, problem, okText) {
    el.textContent = problem === '' ? '' : problem === null ? '✓ ' + okText : '✗ ' + problem;
    el.className = 'check' + (problem === null ? ' ok' : problem ? ' bad' : '');
    el.dataset.state = problem === null ? 'ok' : problem ? 'bad' : '';
  }
  $('dept-org').addEventListener('input', function () {
    this.value = this.value.toUpperCase();
    showCheck($('dept-org-check'), usccProblem(this.value.trim()), '校验位正确 · check digit correct');
  });
  $('dept-code').addEventListener('input', function () {
    this.value = this.value.toUpperCase();
  });
  $('matter-code').addEventListener('input', function () {
    this.value = this.value.toUpperCase();
    var v = this.value.trim();
    showCheck($('matter-code-check'), !v ? '' : /^[0-9A-Z]{12,36}$/.test(v) ? null : '应为12–36位数字或大写字母 · 12–36 of 0-9 A-Z', '格式正确 · well formed');
  });

  function loadCatalogue() {
    return Promise.all([api('GET', 'catalogue'), api('GET', 'catalogue/versions')])
      .then(function (r) {
        var cat = r[0];
        catalogue.current = cat;
        var mzj = cat.departments.filter(function (d) {
          return d.code === 'MZJ' && d.adapter === 'mapped';
        })[0];
        if (!catalogue.template) {
          catalogue.template = mzj ? withoutDelivery(mzj.options) : { mediaTypes: ['application/json'], dateFormat: 'yyyy-MM-dd HH:mm:ss', fields: {} };
          fillDeptForm(null);
        }
        setStatus(
          $('catalogue-version'),
          cat.versionId
            ? '当前目录：数据库版本 ' + cat.versionId + ' · in force: version ' + cat.versionId
            : '当前目录：配置文件 config/catalogue.yaml（尚未在看板修改）· in force: the file',
        );
        renderCatalogueTables(cat);
        renderVersions(r[1]);
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('catalogue-status'), '加载失败 · failed: ' + e.message, 'error');
      });
  }
  function withoutDelivery(options) {
    var copy = JSON.parse(JSON.stringify(options || {}));
    delete copy.delivery;
    return copy;
  }
  function renderCatalogueTables(cat) {
    var rows = clear($('catalogue-departments'));
    var select = clear($('matter-dept'));
    cat.departments.forEach(function (d) {
      var count = cat.matters.filter(function (m) {
        return m.department === d.code;
      }).length;
      append(
        rows,
        h(
          'tr',
          { dataset: { code: d.code } },
          h('td', null, d.code),
          h('td', null, d.name),
          h('td', null, h('code', null, d.orgCode)),
          h('td', null, d.restricted ? '涉密，不接入 restricted' : d.adapter === 'mapped' ? 'JSON 映射 mapped' : '专用适配器 ' + d.adapter),
          h('td', { class: 'dept-tokens' }, d.tokens === null || d.tokens === undefined ? '—' : d.tokens ? d.tokens + ' 个有效 valid' : '无 none'),
          h('td', null, String(count)),
          h(
            'td',
            null,
            d.adapter === 'mapped' && !d.restricted
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'dept-edit',
                    onclick: function () {
                      fillDeptForm(d);
                      $('dept-panel').scrollIntoView();
                    },
                  },
                  zhEn('修改', 'Edit'),
                )
              : null,
          ),
        ),
      );
      if (!d.restricted) append(select, h('option', { value: d.code }, d.code + ' ' + d.name));
    });
    var mrows = clear($('catalogue-matters'));
    cat.matters.forEach(function (m) {
      append(
        mrows,
        h(
          'tr',
          { dataset: { code: m.taskCode } },
          h('td', null, h('code', null, m.taskCode)),
          h('td', null, m.name),
          h('td', null, m.department),
          h('td', null, m.type),
          h('td', null, m.timeLimit ? m.timeLimit.value + ' ' + ({ WORKING_DAY: '工作日', NATURAL_DAY: '自然日', HOUR: '小时' }[m.timeLimit.unit] || m.timeLimit.unit) : '—'),
          h(
            'td',
            null,
            m.restriction
              ? null
              : h(
                  'button',
                  {
                    type: 'button',
                    onclick: function () {
                      fillMatterForm(m);
                    },
                  },
                  zhEn('修改', 'Edit'),
                ),
          ),
        ),
      );
    });
  }
  function renderVersions(v) {
    var rows = clear($('catalogue-versions'));
    if (!v.items.length) append(rows, h('tr', null, h('td', { colspan: 5 }, '尚无版本：目录来自配置文件 · no versions yet: the file is in force')));
    v.items.forEach(function (x) {
      var current = x.id === v.current;
      append(
        rows,
        h(
          'tr',
          { dataset: { version: x.id } },
          h('td', null, x.id, current ? [' ', h('span', { class: 'badge ok' }, '当前 current')] : null),
          h('td', null, fmtTime(x.createdAt)),
          h('td', null, String(x.createdBy).replace(/^operator:/, '')),
          h('td', null, x.comment),
          h(
            'td',
            null,
            current
              ? null
              : h(
                  'button',
                  {
                    type: 'button',
                    class: 'version-restore warn',
                    onclick: function () {
                      if (!confirm('恢复到版本 ' + x.id + '？将作为新版本立即生效。 Restore version ' + x.id + '?')) return;
                      api('POST', 'catalogue/versions/' + encodeURIComponent(x.id) + '/restore')
                        .then(function (r) {
                          setStatus($('catalogue-status'), '已恢复到版本 ' + x.id + '，现为版本 ' + r.versionId + ' · restored', 'ok');
                          loadCatalogue();
                        })
                        .catch(function (e) {
                          if (e.status !== 401) setStatus($('catalogue-status'), '恢复失败 · failed: ' + e.message, 'error');
                        });
                    },
                  },
                  zhEn('恢复', 'Restore'),
                ),
          ),
        ),
      );
    });
  }
  /** Fills the department form from an entry (edit) or from the template (new). */
  function fillDeptForm(d) {
    var options = d ? withoutDelivery(d.options) : JSON.parse(JSON.stringify(catalogue.template || {}));
    var delivery = d && d.options && d.options.delivery;
    catalogue.editing = d ? { code: d.code, delivery: delivery } : null;
    $('dept-code').value = d ? d.code : '';
    $('dept-code').readOnly = !!d;
    $('dept-name').value = d ? d.name : '';
    $('dept-org').value = d ? d.orgCode : '';
    showCheck($('dept-org-check'), d ? usccProblem(d.orgCode) : '', '校验位正确 · check digit correct');
    $('dept-date-format').value = options.dateFormat || 'yyyy-MM-dd HH:mm:ss';
    var fields = options.fields || {};
    var rows = clear($('dept-fields'));
    var listed = MAPPED_FIELDS.map(function (f) {
      return f[0];
    });
    var all = MAPPED_FIELDS.concat(
      Object.keys(fields)
        .filter(function (k) {
          return listed.indexOf(k) < 0;
        })
        .map(function (k) {
          // applicants[1].name: the second applicant's, labelled like the first's.
          var m = /^applicants\[(\d+)\]\.(\w+)$/.exec(k);
          var base = m && MAPPED_FIELDS.filter(function (f) {
            return f[0] === 'applicants[0].' + m[2];
          })[0];
          return base ? [k, base[1].replace('申请人', '第' + (Number(m[1]) + 1) + '申请人'), base[2].replace('applicant', 'applicant ' + (Number(m[1]) + 1))] : [k, k, ''];
        }),
    );
    all.forEach(function (f) {
      append(
        rows,
        h(
          'tr',
          { dataset: { field: f[0] } },
          h('td', null, f[1], ' ', h('small', null, f[2] ? f[2] + ' · ' + f[0] : '')),
          h('td', null, h('input', { class: 'map-path', 'data-field': f[0], value: fields[f[0]] || '', size: 28, 'aria-label': f[1] })),
        ),
      );
    });
    delete options.fields;
    delete options.dateFormat;
    $('dept-options-extra').value = JSON.stringify(options, null, 2);
    clear($('dept-errors'));
    $('dept-try-result').hidden = true;
  }
  /** The mapping options the form describes; throws a message when the extra settings are not JSON. */
  function deptOptions() {
    var extra;
    try {
      extra = JSON.parse($('dept-options-extra').value || '{}');
    } catch (e) {
      throw new Error('“更多映射设置”不是合法的 JSON · the extra settings are not valid JSON: ' + e.message);
    }
    var fields = {};
    document.querySelectorAll('#dept-fields input.map-path').forEach(function (i) {
      var v = i.value.trim();
      if (v) fields[i.dataset.field] = v;
    });
    var options = Object.assign({}, extra, { dateFormat: $('dept-date-format').value, fields: fields });
    if (catalogue.editing && catalogue.editing.delivery) options.delivery = catalogue.editing.delivery;
    return options;
  }
  function showErrors(list, errors, prefix) {
    clear(list);
    document.querySelectorAll('.catalogue-form .invalid').forEach(function (el) {
      el.classList.remove('invalid');
    });
    (errors || []).forEach(function (e) {
      append(list, h('li', { dataset: { field: e.field || '' } }, h('b', null, e.source || e.field || '—'), '：', codeText(e.code, 'field') !== e.code ? codeText(e.code, 'field') + ' — ' : '', e.message));
      var input = document.querySelector(prefix + ' [name="' + e.field + '"]');
      if (input) input.classList.add('invalid');
    });
  }
  $('dept-try').addEventListener('click', function () {
    var out = $('dept-try-result');
    var options;
    try {
      options = deptOptions();
    } catch (e) {
      showErrors($('dept-errors'), [{ field: 'options', message: e.message }], '#dept-form');
      return;
    }
    var code = $('dept-code').value.trim() || 'TRY';
    api('POST', 'catalogue/departments/' + encodeURIComponent(code) + '/try', { options: options, sample: $('dept-sample').value })
      .then(function (r) {
        clear($('dept-errors'));
        clear(out);
        out.hidden = false;
        out.dataset.ok = r.ok ? 'true' : 'false';
        append(out, h('h3', null, r.ok ? zhEn('映射成功，网关将得到以下办件数据', 'Mapped: the gateway would take this case') : zhEn('有问题，按部门报文字段列出', 'Issues, by the department\'s field')));
        if (r.issues && r.issues.length) {
          append(
            out,
            h(
              'ul',
              { class: 'errors try-issues' },
              r.issues.map(function (i) {
                return h('li', { dataset: { field: i.field, code: i.code } }, h('b', null, i.source || i.field), '：', codeText(i.code, 'field'), ' ', h('small', null, i.message));
              }),
            ),
          );
        }
        if (!r.ok && r.code && !r.event) append(out, h('p', { class: 'error' }, codeText(r.code), ' ', h('small', null, r.message)));
        if (r.event) append(out, h('pre', { class: 'canonical' }, JSON.stringify(r.event, null, 2)));
      })
      .catch(function (e) {
        if (e.status === 401) return;
        out.hidden = true;
        showErrors($('dept-errors'), e.body.errors && e.body.errors.length ? e.body.errors : [{ field: '', message: e.message }], '#dept-form');
      });
  });
  $('dept-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var options;
    try {
      options = deptOptions();
    } catch (e) {
      showErrors($('dept-errors'), [{ field: 'options', message: e.message }], '#dept-form');
      return;
    }
    var body = { code: $('dept-code').value.trim(), name: $('dept-name').value.trim(), orgCode: $('dept-org').value.trim(), adapter: 'mapped', options: options };
    api('POST', 'catalogue/departments', body)
      .then(function (r) {
        clear($('dept-errors'));
        setStatus($('catalogue-status'), '已保存并生效：部门 ' + r.department.code + '（版本 ' + r.versionId + '）· saved and applied', 'ok');
        if (r.token) {
          $('dept-token-value').value = r.token;
          setStatus($('dept-token-status'), '');
          $('dept-token').hidden = false;
        }
        catalogue.editing = { code: r.department.code, delivery: r.department.options && r.department.options.delivery };
        $('dept-code').readOnly = true;
        loadCatalogue();
      })
      .catch(function (e) {
        if (e.status === 401) return;
        setStatus($('catalogue-status'), '未保存 · not saved: ' + e.message, 'error');
        showErrors($('dept-errors'), e.body.errors, '#dept-form');
      });
  });
  $('dept-reset').addEventListener('click', function () {
    fillDeptForm(null);
    $('dept-sample').value = '';
  });
  $('dept-token-copy').addEventListener('click', function () {
    var input = $('dept-token-value');
    var done = function () {
      setStatus($('dept-token-status'), '已复制到剪贴板 · copied', 'ok');
    };
    if (navigator.clipboard && navigator.clipboard.writeText) {
      navigator.clipboard.writeText(input.value).then(done, function () {
        input.select();
        document.execCommand('copy');
        done();
      });
    } else {
      input.select();
      document.execCommand('copy');
      done();
    }
  });
  $('dept-token-close').addEventListener('click', function () {
    $('dept-token-value').value = '';
    $('dept-token').hidden = true;
  });
  function fillMatterForm(m) {
    $('matter-code').value = m.taskCode;
    $('matter-name').value = m.name;
    $('matter-dept').value = m.department;
    $('matter-type').value = m.type;
    $('matter-project-type').value = String(m.projectType);
    $('matter-limit').value = m.timeLimit ? m.timeLimit.value : '';
    $('matter-limit-unit').value = m.timeLimit ? m.timeLimit.unit : 'WORKING_DAY';
    $('matter-online').checked = !!m.onlineCapable;
    $('matter-cert').checked = !!m.issuesCertificate;
    $('matter-code').dispatchEvent(new Event('input'));
  }
  $('matter-form').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var limit = $('matter-limit').value.trim();
    var body = {
      taskCode: $('matter-code').value.trim(),
      name: $('matter-name').value.trim(),
      department: $('matter-dept').value,
      type: $('matter-type').value,
      projectType: Number($('matter-project-type').value),
      onlineCapable: $('matter-online').checked,
      issuesCertificate: $('matter-cert').checked,
    };
    if (limit) body.timeLimit = { value: Number(limit), unit: $('matter-limit-unit').value };
    api('POST', 'catalogue/matters', body)
      .then(function (r) {
        clear($('matter-errors'));
        setStatus($('catalogue-status'), '已保存并生效：事项 ' + r.matter.name + '（版本 ' + r.versionId + '）· saved and applied', 'ok');
        loadCatalogue();
      })
      .catch(function (e) {
        if (e.status === 401) return;
        setStatus($('catalogue-status'), '未保存 · not saved: ' + e.message, 'error');
        showErrors($('matter-errors'), e.body.errors, '#matter-form');
      });
  });

  // ---------- my sign-in: second factor and password ----------
  function showSecurity() {
    var me = state.me;
    var banner = $('setup-banner');
    banner.hidden = !me.setup;
    banner.textContent =
      me.setup === 'password-change'
        ? '密码已过期，请先修改密码。 · Your password expired: change it before anything else.'
        : me.setup === 'totp-enrolment'
          ? '本账号须使用动态验证码：请先完成绑定。 · This account needs a second factor: enrol it before anything else.'
          : '';
    $('totp-panel').hidden = me.setup === 'password-change';
    $('totp-state').textContent =
      '当前状态 · state: ' + (TOTP_LABEL[me.totp] || me.totp || '—') + (me.totpRequired ? '（本账号必须启用 · required）' : '');
    $('totp-start').hidden = me.totp === 'on';
    if (me.totp === 'on') $('totp-enrol').hidden = true;
  }
  $('totp-start').addEventListener('click', function () {
    setStatus($('totp-status'), '');
    api('POST', 'auth/totp/enrol')
      .then(function (r) {
        $('totp-qr').src = r.qrCode;
        $('totp-secret').textContent = r.secret;
        $('totp-enrol').hidden = false;
        $('totp-code').value = '';
        $('totp-code').focus();
      })
      .catch(function (e) {
        if (e.status !== 401) setStatus($('totp-status'), '失败 · failed: ' + e.message, 'error');
      });
  });
  $('totp-confirm').addEventListener('submit', function (e) {
    e.preventDefault();
    api('POST', 'auth/totp/confirm', { code: $('totp-code').value.trim() })
      .then(function () {
        $('totp-enrol').hidden = true;
        $('totp-qr').removeAttribute('src');
        $('totp-secret').textContent = '';
        setStatus($('totp-status'), '已启用动态验证码 · the second factor is on', 'ok');
        return start();
      })
      .catch(function (err) {
        if (err.status !== 401 || (err.body && err.body.code === 'TOTP_FAILED'))
          setStatus($('totp-status'), '验证码错误或已使用 · wrong or used code', 'error');
      });
  });
  $('password-change').addEventListener('submit', function (e) {
    e.preventDefault();
    var form = this;
    var data = new FormData(form);
    api('POST', 'auth/password', { currentPassword: data.get('currentPassword'), newPassword: data.get('newPassword') })
      .then(function () {
        form.reset();
        setStatus($('password-status'), '密码已修改 · password changed', 'ok');
        return start();
      })
      .catch(function (err) {
        if (err.status !== 401 || (err.body && err.body.code === 'PASSWORD_WRONG'))
          setStatus($('password-status'), '修改失败 · failed: ' + err.message, 'error');
      });
  });

  // ---------- start ----------
  function boot() {
    return start()
      .then(function () {
        if (!can('status')) return;
        return api('GET', 'ops/overview').then(function (o) {
          fillDepartmentSelects(
            o.departments.map(function (d) {
              return { code: d.nameEn, name: d.name };
            }),
          );
        });
      })
      .catch(function (e) {
        if (e.status !== 401) showLogin('无法连接网关 · cannot reach the gateway: ' + e.message);
      });
  }
  boot();
})();
