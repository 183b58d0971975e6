/* 考核指标与办件检索 · the reform's figures and case search — plain JavaScript beside app.js (which shows the views). */
'use strict';
(function () {
  var API = new URL('../api/v1/', location.href).pathname;
  var trendChart = null;

  function $(id) {
    return document.getElementById(id);
  }
  // Elements from strings as text nodes only (app.js's helpers): nothing from the API is interpreted as HTML.
  var h = window.gwDom.h;
  var add = window.gwDom.append;
  var clear = window.gwDom.clear;
  function pct(x) {
    return x === null || x === undefined ? '—' : (x * 100).toFixed(1) + '%';
  }
  function qs(params) {
    var parts = Object.keys(params)
      .filter(function (k) {
        return params[k] !== undefined && params[k] !== null && params[k] !== '';
      })
      .map(function (k) {
        return encodeURIComponent(k) + '=' + encodeURIComponent(params[k]);
      });
    return parts.length ? '?' + parts.join('&') : '';
  }
  function api(method, path, body) {
    var opts = { method: method, credentials: 'same-origin', headers: { Accept: 'application/json' } };
    if (body !== undefined) {
      opts.headers['Content-Type'] = 'application/json';
      opts.body = JSON.stringify(body);
    }
    return fetch(API + path, opts).then(function (res) {
      return res.json().then(function (data) {
        if (!res.ok) throw new Error((data && data.message) || 'HTTP ' + res.status);
        return data;
      });
    });
  }
  function table(headers, rows) {
    return h(
      'table',
      { class: 'grid' },
      h(
        'thead',
        null,
        h(
          'tr',
          null,
          headers.map(function (x) {
            return h('th', null, x);
          }),
        ),
      ),
      h(
        'tbody',
        null,
        rows.map(function (r) {
          return h(
            'tr',
            null,
            r.map(function (c) {
              return h('td', null, c);
            }),
          );
        }),
      ),
    );
  }
  function beijingToday(offsetDays) {
    return new Date(Date.now() + 8 * 3600e3 + (offsetDays || 0) * 86400e3).toISOString().slice(0, 10);
  }

  // ---------- 考核指标 ----------
  function month() {
    return $('figures-month').value || beijingToday().slice(0, 7);
  }
  function loadFigures() {
    var m = month();
    var asOf = $('figures-asof').value.trim();
    var date = $('figures-date').value || beijingToday(-1);
    var dl = clear($('figures-downloads'));
    add(dl, ['下载 Downloads: ']);
    [
      ['月度报告 monthly.xlsx', 'reports/monthly.xlsx' + qs({ month: m, asOf: asOf })],
      ['网办率 CSV', 'reports/online-share.csv' + qs({ month: m })],
      ['逾期临期 CSV', 'reports/overdue.csv' + qs({ asOf: asOf })],
      ['好差评 CSV', 'reports/satisfaction.csv' + qs({ month: m })],
      ['差评明细 CSV', 'reports/bad-evaluations.csv' + qs({ month: m })],
    ].forEach(function (d) {
      add(dl, [h('a', { href: API + d[1], download: '' }, d[0]), ' · ']);
    });
    loadOnline(m);
    loadOverdue(asOf);
    loadSatisfaction(m);
    loadReconciliation(date);
  }
  // Only the newest request of a section may render: opening the page loads "now", and an
  // operator who sets a date at once must not have that first, later answer overwrite theirs.
  var requestSeq = {};
  function newest(section) {
    var n = (requestSeq[section] = (requestSeq[section] || 0) + 1);
    return function (render) {
      return function (answer) {
        if (requestSeq[section] === n) return render(answer);
      };
    };
  }
  function loadOnline(m) {
    api('GET', 'reports/online-share' + qs({ month: m }))
      .then(newest('online')(function (o) {
        $('online-total').textContent =
          m +
          ' 全县网办率 ' +
          pct(o.total.share) +
          '（' +
          o.total.online +
          '/' +
          o.total.cases +
          '），目标 ' +
          pct(o.target) +
          (o.total.meetsTarget ? ' · 达标' : ' · 未达标');
        var rowsOf = function (list, name) {
          return list.map(function (x) {
            return [name(x), x.cases, x.online, pct(x.share), x.meetsTarget ? '达标' : '未达标'];
          });
        };
        var heads = ['名称', '办件', '网办', '网办率', '对照 60% 目标'];
        clear($('online-tables')).appendChild(
          h(
            'div',
            null,
            h('h3', null, '按部门 By department'),
            table(
              heads,
              rowsOf(o.departments, function (d) {
                return d.name || d.department;
              }),
            ),
            h('h3', null, '按事项 By matter'),
            table(
              heads,
              rowsOf(o.matters, function (d) {
                return d.matterName;
              }),
            ),
            h('h3', null, '按乡镇 By township'),
            table(
              heads,
              rowsOf(o.townships, function (d) {
                return d.name || d.code;
              }),
            ),
          ),
        );
        if (window.echarts) {
          if (!trendChart) trendChart = window.echarts.init($('online-trend'));
          trendChart.setOption({
            tooltip: { trigger: 'axis' },
            xAxis: {
              type: 'category',
              data: o.trend.map(function (t) {
                return t.month;
              }),
            },
            yAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
            series: [
              {
                name: '网办率',
                type: 'line',
                data: o.trend.map(function (t) {
                  return t.share === null ? null : +(t.share * 100).toFixed(1);
                }),
              },
              {
                name: '目标',
                type: 'line',
                data: o.trend.map(function () {
                  return o.target * 100;
                }),
                lineStyle: { type: 'dashed' },
              },
            ],
          });
        }
      }))
      .catch(function (e) {
        $('online-total').textContent = '加载失败 · ' + e.message;
      });
  }
  var STATE_LABEL = { OVERDUE: '已逾期', NEAR_DUE: '临期', URGED: '被督办' };
  function loadOverdue(asOf) {
    api('GET', 'reports/overdue' + qs({ asOf: asOf }))
      .then(newest('overdue')(function (o) {
        $('overdue-total').textContent =
          '截至 ' +
          o.asOf +
          '：在办 ' +
          o.totals.open +
          '，已逾期 ' +
          o.totals.overdue +
          '，临期 ' +
          o.totals.nearDue +
          '，被督办 ' +
          o.totals.urged +
          '，暂停计时 ' +
          o.totals.clockStopped;
        var rows = [];
        o.departments.forEach(function (d) {
          d.cases.forEach(function (c) {
            rows.push([
              STATE_LABEL[c.state] || c.state,
              d.name || d.department,
              c.sourceCaseNo,
              c.matterName,
              c.applicant,
              c.acceptedAt || '—',
              c.dueAt || '—',
              c.state === 'OVERDUE'
                ? '逾期 ' + c.workingDaysLate + ' 个工作日'
                : c.workingDaysLeft !== null
                  ? '剩 ' + c.workingDaysLeft + ' 个工作日'
                  : '—',
              c.urgings
                .map(function (u) {
                  return u.message + '（期限 ' + (u.deadline || '—') + '）';
                })
                .join('；') || '—',
            ]);
          });
        });
        clear($('overdue-list')).appendChild(
          rows.length
            ? table(['状态', '部门', '受理编号', '事项', '申请人', '受理时间', '到期时间', '剩余/逾期', '督办'], rows)
            : h('p', { class: 'status' }, '没有逾期或临期的办件 none'),
        );
      }))
      .catch(function (e) {
        $('overdue-total').textContent = '加载失败 · ' + e.message;
      });
  }
  function loadSatisfaction(m) {
    api('GET', 'reports/satisfaction' + qs({ month: m }))
      .then(newest('satisfaction')(function (s) {
        var levels = [1, 2, 3, 4, 5];
        var rowOf = function (name, f) {
          return [name, f.count]
            .concat(
              levels.map(function (l) {
                return f.levels[l] || 0;
              }),
            )
            .concat([pct(f.goodShare)]);
        };
        var heads = ['名称', '评价数']
          .concat(
            levels.map(function (l) {
              return s.levelNames[l];
            }),
          )
          .concat(['好评率']);
        clear($('satisfaction')).appendChild(
          h(
            'div',
            null,
            table(
              heads,
              [rowOf('全县', s.total)].concat(
                s.departments.map(function (d) {
                  return rowOf(d.name || '未确定', d);
                }),
              ),
            ),
            h('h3', null, '差评 Bad evaluations'),
            s.bad.length
              ? table(
                  ['评价时间', '等级', '部门', '受理编号', '事项', '评价内容', '办件状态'],
                  s.bad.map(function (b) {
                    return [
                      b.evaluatedAt,
                      b.levelName,
                      b.departmentName || '—',
                      b.sourceCaseNo || b.projectNo,
                      b.matterName || '—',
                      b.comment || '—',
                      b.caseStage ? b.caseStage + (b.caseClosed ? '（已办结）' : '（在办）') : '—',
                    ];
                  }),
                )
              : h('p', { class: 'status' }, '本月没有差评 none this month'),
          ),
        );
      }))
      .catch(function (e) {
        clear($('satisfaction')).appendChild(h('p', { class: 'status' }, '加载失败 · ' + e.message));
      });
  }
  function renderReconciliation(r) {
    var t = r.totals;
    $('reconcile-status').textContent =
      r.date +
      '：核对 ' +
      t.checked +
      '，一致 ' +
      t.matching +
      '，已补报 ' +
      t.repaired +
      '，无法解释 ' +
      t.unexplained +
      '，在途 ' +
      t.inProgress +
      (t.failed ? '，失败 ' + t.failed : '');
    clear($('reconciliation')).appendChild(
      r.departments.length
        ? table(
            ['部门', '核对', '一致', '已补报', '无法解释', '在途', '执行', '完成时间', '说明'],
            r.departments.map(function (d) {
              var notes =
                d.error ||
                d.unexplainedCases
                  .map(function (u) {
                    return u.projectNo + '：' + u.reason;
                  })
                  .join('；') ||
                '—';
              return [
                d.departmentName,
                d.checked,
                d.matching,
                d.repaired,
                d.unexplained,
                d.inProgress,
                d.runBy,
                d.finishedAt,
                notes,
              ];
            }),
          )
        : h('p', { class: 'status' }, '该日尚未对账 not reconciled yet'),
    );
  }
  function loadReconciliation(date) {
    api('GET', 'reports/reconciliation' + qs({ date: date }))
      .then(newest('reconciliation')(renderReconciliation))
      .catch(function (e) {
        $('reconcile-status').textContent = '加载失败 · ' + e.message;
      });
  }
  $('reconcile-run').addEventListener('click', function () {
    var date = $('figures-date').value || beijingToday(-1);
    $('reconcile-status').textContent = '对账中… running';
    api('POST', 'reports/reconciliation/run', { date: date })
      .then(renderReconciliation)
      .catch(function (e) {
        $('reconcile-status').textContent = '对账失败 · ' + e.message;
      });
  });
  $('figures-form').addEventListener('submit', function (e) {
    e.preventDefault();
    loadFigures();
  });

  // ---------- 办件检索 ----------
  function find(e) {
    if (e) e.preventDefault();
    var form = $('find-form');
    var params = {};
    ['applicant', 'matter', 'township', 'status', 'from', 'to'].forEach(function (k) {
      params[k] = form.elements[k].value.trim();
    });
    if (
      !Object.keys(params).some(function (k) {
        return params[k];
      })
    )
      params.pageSize = '50';
    var q = qs(Object.assign({ pageSize: '100' }, params));
    $('find-status').textContent = '检索中…';
    api('GET', 'cases' + q)
      .then(function (r) {
        clear($('find-status'));
        add($('find-status'), [
          '共 ' + r.total + ' 件（显示 ' + r.items.length + '） · ',
          h('a', { href: API + 'reports/cases.csv' + q, download: '' }, '导出 CSV'),
          ' · ',
          h('a', { href: API + 'reports/cases.xlsx' + q, download: '' }, '导出 XLSX'),
        ]);
        clear($('find-results')).appendChild(
          table(
            ['部门', '受理编号', '事项', '乡镇', '当前环节', '网办', '开始时间', '申请人', '证件号'],
            r.items.map(function (c) {
              return [
                c.departmentName || c.department,
                c.sourceCaseNo,
                c.matterName,
                c.locationName || c.location || '—',
                c.currentStageLabel,
                c.online ? '是' : '否',
                c.openedAt.slice(0, 10),
                c.applicantName || '—',
                c.applicantCertNo || '—',
              ];
            }),
          ),
        );
      })
      .catch(function (err) {
        $('find-status').textContent = '检索失败 · ' + err.message;
      });
  }
  $('find-form').addEventListener('submit', find);

  // ---------- 电子证照查询 · licences by holder (masked by the API) ----------
  $('licence-form').addEventListener('submit', function (e) {
    e.preventDefault();
    var holder = $('licence-form').elements.holder.value.trim();
    if (!holder) return;
    $('licence-status').textContent = '查询中…';
    api('GET', 'licences' + qs({ holder: holder }))
      .then(function (r) {
        $('licence-status').textContent = '共 ' + r.total + ' 张 · ' + r.total + ' licence(s)';
        clear($('licence-results'));
        if (r.items.length) $('licence-results').appendChild(window.gwDom.licenceTable(r.items));
      })
      .catch(function (err) {
        $('licence-status').textContent = '查询失败 · ' + err.message;
      });
  });

  function route() {
    var view = (location.hash.replace(/^#\//, '') || '').split('?')[0];
    if (view === 'figures') loadFigures();
  }
  window.addEventListener('hashchange', route);
  document.addEventListener('DOMContentLoaded', route);
  route();
})();
