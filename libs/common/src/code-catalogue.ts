/**
 * The one catalogue of the codes an operator or a department's vendor can meet: error codes in
 * answers, field problems, stages, delivery and callback states, audit actions, reasons a delivery
 * was parked, the platform's business codes. Each has a Chinese text, the English beside it and,
 * where there is one, the next step. The API answers (`chineseFirst`), the dashboard (served at
 * `GET /api/v1/codes`), the audit page and docs/codes.md all read it; `code-catalogue.spec.ts`
 * scans the source and fails when a code is used that is not here.
 */
export interface CodeText {
  /** 中文说明. */
  zh: string;
  en: string;
  /** 下一步怎么做 · what to do next (Chinese first, English beside), when there is something to do. */
  next?: string;
}

export type CodeCategory =
  | 'error'
  | 'field'
  | 'stage'
  | 'delivery'
  | 'outcome'
  | 'callback'
  | 'audit'
  | 'auditBreak'
  | 'park'
  | 'platform'
  | 'login'
  | 'breaker';

type Table = Record<string, CodeText>;
const t = (zh: string, en: string, next?: string): CodeText => (next ? { zh, en, next } : { zh, en });

const FIX_AND_RESEND = '请部门系统修正后重发，或在“隔离区”修正后重放 · the department fixes and resends, or an operator corrects and replays it from the quarantine';
const CHECK_TOKEN = '核对部门系统配置的令牌（看板“部门令牌”或管理员）· check the token configured in the department system';
const RESEND_LATER = '稍后重发，网关未接收 · nothing was accepted: send again later';

/** Answers' `code` (HTTP errors and business refusals of the gateway). */
const error: Table = {
  DEPARTMENT_UNKNOWN: t('未知部门代码', 'unknown department code', '核对地址中的部门代码 · check the department code in the URL'),
  DEPARTMENT_DISABLED: t('该部门已停用', 'this department is disabled', '联系县政务服务中心 · contact the county office'),
  DEPARTMENT_RESTRICTED: t('该部门的系统不经网关报送（涉密或上级系统）', 'this department does not report through the gateway (classified or upper-level system)'),
  MATTER_RESTRICTED: t('涉密事项或上级系统办理的事项，不得经网关报送', 'classified matter, or one handled in an upper level\'s system: may not pass the gateway'),
  TOKEN_MISSING: t('缺少部门令牌', 'department token missing', CHECK_TOKEN),
  TOKEN_INVALID: t('部门令牌错误、已过期或已吊销', 'department token wrong, expired or revoked', CHECK_TOKEN),
  TOKEN_WRONG_DEPARTMENT: t('令牌属于其他部门', 'the token is another department\'s', CHECK_TOKEN),
  TOKEN_EXPIRED: t('部门令牌已过期（轮换的重叠期已过）或已被吊销', 'department token expired (past its rotation overlap) or revoked', '换用网关管理员签发的新令牌 · use the new token the gateway office issued'),
  TOKEN_NOT_FOUND: t('该部门没有这个令牌', 'no such token for this department', '刷新“部门令牌”页后再试 · reload the Tokens page'),
  TOKEN_FROM_ENVIRONMENT: t('该令牌来自环境变量，生产模式下以环境变量为准，不能在看板吊销', 'this token comes from an environment variable, which wins in production: it cannot be revoked from the dashboard', '更换或删除该环境变量后重启 · change or remove the variable and restart'),
  OPERATOR_TOKEN_EXPIRED: t('运维令牌已过期', 'operator token expired', '更换 GATEWAY_OPERATOR_TOKEN 及其到期日 · set a new operator token and date'),
  CREDENTIALS_REQUIRED: t('需要登录或令牌', 'sign-in or a token is needed'),
  CASE_NOT_OF_DEPARTMENT: t('该申办号不是本部门的办件（或不存在）', 'this project number is not a case of this department (or does not exist)', '核对申办号 · check the project number'),
  PAYLOAD_TOO_LARGE: t('请求体过大', 'payload too large', '拆分后重发 · split and resend'),
  MEDIA_TYPE_UNSUPPORTED: t('不支持的内容类型、编码或字符集', 'content type, encoding or charset not supported'),
  VALIDATION_FAILED: t('数据校验未通过', 'the event is readable but invalid (see errors, one per field)', FIX_AND_RESEND),
  STAGE_TRANSITION_INVALID: t('环节顺序不对', 'stage out of order', FIX_AND_RESEND),
  STORAGE_UNAVAILABLE: t('网关暂时无法保存', 'the gateway cannot store right now', RESEND_LATER),
  NOT_FOUND: t('未找到', 'not found'),
  BAD_REQUEST: t('请求格式错误', 'bad request'),
  INTERNAL: t('网关内部错误', 'internal error', '查看网关日志中同一时间的错误，或联系维护人员 · see the gateway log at that time'),
  RATE_LIMITED: t('请求过于频繁', 'too many requests', '按 Retry-After 秒数后再发 · wait Retry-After seconds'),
  BATCH_TOO_MANY_BAD_ROWS: t('批量文件错误行过多，整批拒收', 'too many bad rows in the batch file; refused whole', '修正文件后重新上传 · fix the file and upload again'),
  BATCH_ID_REUSED: t('批次号已用于另一份不同的文件', 'batch id already used for a different file', '换用新的批次号 · use a new batch id'),
  BATCH_IN_PROGRESS: t('同一批次正在处理', 'the same batch is being processed', '稍后查询结果 · ask again shortly'),
  BATCH_ONLY: t('该部门只接受批量文件', 'this department sends batch files only'),
  BATCH_NOT_SUPPORTED: t('该部门不使用批量文件', 'this department does not send batch files'),
  BATCH_UNREADABLE: t('批量文件无法读取', 'batch file unreadable', '检查文件格式和编码 · check the format and encoding'),
  BATCH_ROWS_UNDER_WAY: t('批量文件中有行正在处理', 'rows of this batch are still under way'),
  BATCH_HEADER: t('批量文件表头不对', 'batch file header is wrong'),
  EVENT_UNREADABLE: t('报文无法解析', 'message cannot be read', FIX_AND_RESEND),
  STORE_UNAVAILABLE: t('网关暂时无法保存', 'the gateway cannot store right now', RESEND_LATER),
  OPERATOR_UNAUTHORIZED: t('请先登录', 'sign in first'),
  OPERATOR_FORBIDDEN: t('当前角色无权执行此操作', 'your role may not do this', '请有相应职责的人员操作 · ask someone with that duty'),
  OPERATOR_SETUP_REQUIRED: t('请先完成账号安全设置（修改密码或绑定动态验证码）', 'finish your sign-in set-up first (new password or second factor)', '打开“账号安全”页 · open 账号安全'),
  OPERATOR_EXISTS: t('账号已存在', 'account exists'),
  OPERATOR_INVALID: t('账号信息不合规', 'account details not valid'),
  LAST_ADMIN: t('不能停用或降级最后一个管理员', 'the last admin cannot be disabled or demoted'),
  LOGIN_LOCKED: t('登录失败次数过多，暂时锁定', 'too many failed sign-ins: locked for a while', '按 Retry-After 等待后再试，或请管理员核实 · wait, or ask an admin'),
  LOGIN_FAILED: t('用户名、密码或验证码错误', 'wrong user name, password or code'),
  PASSWORD_EXPIRED: t('密码已过期，须先修改', 'password expired: change it first', '打开“账号安全”页修改密码 · change it on 账号安全'),
  PASSWORD_REUSED: t('新密码不能与当前或上一个相同', 'the new password may not be the current or previous one'),
  PASSWORD_WRONG: t('当前密码错误', 'current password wrong'),
  TOTP_ALREADY_ENABLED: t('动态验证码已启用', 'second factor already on'),
  TOTP_NOT_PENDING: t('没有进行中的绑定', 'no enrolment under way', '重新开始绑定 · start the enrolment again'),
  TOTP_FAILED: t('动态验证码错误', 'wrong one-time code', '核对手机时间后输入最新的验证码 · check the phone\'s clock and enter the newest code'),
  TOTP_CHALLENGE_INVALID: t('登录第二步已过期或无效', 'the second sign-in step expired or is invalid', '重新输入用户名和密码 · sign in again'),
  METRICS_UNAUTHORIZED: t('监控接口需要令牌', '/metrics needs a token'),
  ALREADY_RESOLVED: t('该消息已处理', 'already resolved'),
  CORRECTION_AMBIGUOUS: t('修正内容中的脱敏值对应多个原值', 'a masked value in the correction stands for more than one value', '把该值完整填写 · type that value in full'),
  CORRECTION_NOT_POSSIBLE: t('报文不是 UTF-8 或 GBK 文本，无法在线修正', 'not UTF-8 or GBK text: cannot be corrected here', '请部门系统修正后重发 · have the department resend it'),
  RECONCILIATION_FAILED: t('对账失败', 'reconciliation failed', '查看原因，市平台恢复后再运行 · see the reason; run again when the platform answers'),
  NOT_SUPPORTED: t('该部门系统不支持此操作', 'not supported by this department\'s system'),
  DATA_KEY_ROTATION_UNREADABLE: t('新旧数据密钥都无法解开，已原样保留', 'neither data key opens the value; left as it is', '被改动或属于已丢失的密钥：确认无需找回后删除旧密钥 · altered, or of a lost key: once it need not be recovered, remove the previous key'),
  DATA_KEY_ROTATION_HASH_UNMATCHED: t('查找散列无法用新密钥重算，保留原值', 'the lookup hash could not be recomputed with the new key; kept'),
  DEPARTMENT_OFFLINE: t('部门系统暂时无法连接', 'the department\'s system cannot be reached'),
  DUPLICATE: t('重复报文，已接收过', 'duplicate of a message already accepted'),
  ACCEPTED: t('已接收', 'accepted'),
  INVALID: t('内容不合规', 'invalid'),
  CATALOGUE_CONFLICT: t('目录刚被他人修改，未保存', 'the catalogue was just changed elsewhere: nothing was saved', '刷新页面，核对后再保存 · reload, check and save again'),
  CATALOGUE_INVALID: t('目录条目有误，未保存', 'the catalogue entry is invalid: nothing was saved', '按 errors 中列出的字段修改后再保存 · fix the fields listed in errors and save again'),
};

/** `errors[].code`: one field's problem. */
const field: Table = {
  REQUIRED: t('必填项缺失', 'required field missing'),
  TYPE_STRING: t('应为文本', 'must be text'),
  TYPE_INTEGER: t('应为整数', 'must be a whole number'),
  TYPE_OBJECT: t('应为对象', 'must be an object'),
  TYPE_ARRAY: t('应为列表', 'must be a list'),
  TOO_LONG: t('内容过长', 'too long'),
  TOO_MANY: t('项数过多', 'too many items'),
  LENGTH_OUT_OF_RANGE: t('长度不在允许范围内', 'length out of range'),
  FIELD_NOT_ALLOWED: t('不允许的字段', 'field not allowed'),
  VALUE_NOT_ALLOWED: t('取值不在代码表中', 'value not in the code table'),
  VALUE_NOT_LIST: t('应为列表', 'must be a list'),
  VALUE_NOT_TEXT: t('应为文本', 'must be text'),
  VALUE_REPEATED: t('取值重复', 'value repeated'),
  VALUE_TOO_LARGE: t('数值过大', 'value too large'),
  VALUE_TOO_SMALL: t('数值过小', 'value too small'),
  DATE_INVALID: t('日期时间格式不对或不存在', 'date or time malformed or impossible'),
  ID_FORMAT: t('身份证号应为18位（或15位旧号）', 'ID number must be 18 characters (or a 15-digit old number)'),
  ID_BIRTH_DATE: t('身份证号中的出生日期不存在', 'ID number holds no real past birth date'),
  ID_CHECK_DIGIT: t('身份证号校验位错误（GB 11643）', 'ID number check digit is wrong (GB 11643)', '核对证件号码，多为录入错误 · check the number: usually a typing error'),
  ID_15_CONVERTED: t('15位身份证号已转换为18位', '15-digit ID number converted to 18 digits'),
  USCC_FORMAT: t('不是统一社会信用代码（GB 32100）', 'not a unified social credit code (GB 32100)'),
  USCC_CHECK_DIGIT: t('统一社会信用代码校验位不符（试点期旧码），已接收', 'credit code fails its check digit (early pilot code); accepted'),
  PHONE_FORMAT: t('电话号码含有不应出现的字符', 'phone number has characters a phone number cannot'),
  DIVISION_UNKNOWN: t('行政区划代码不存在', 'unknown administrative division code'),
  MATTER_CODE_FORMAT: t('事项编码格式不对', 'matter code malformed'),
  USCC_INVALID: t('统一社会信用代码格式或校验位不对（GB 32100）', 'not a valid unified social credit code (GB 32100: format or check digit)', '核对部门的统一社会信用代码，多为录入错误 · check the code: usually a typing error'),
  MAPPING_INVALID: t('映射配置有误', 'the mapping cannot be used', '按提示修改映射字段 · fix the mapping as the message says'),
  MATTER_UNKNOWN: t('目录中没有该事项', 'matter not in the catalogue', '在目录中登记该事项，或核对事项编码 · add it to the catalogue or check the code'),
  MATTER_NOT_OF_DEPARTMENT: t('该事项不属于本部门', 'matter is not this department\'s'),
  STATUS_UNKNOWN: t('未知的办件状态', 'unknown case status'),
  STAGE_NOT_IN_PLATFORM_SPEC: t('该环节市平台接口没有，无法报送', 'a stage the platform interface does not know'),
  STAGE_REQUIRES_ACCEPTANCE: t('该环节须在受理之后', 'this stage needs the case accepted first'),
  STAGE_REQUIRES_SUBMISSION: t('该环节须在申报之后', 'this stage needs the application first'),
  STAGE_AFTER_FINAL: t('办件已结束，不能再有新环节', 'the case has ended: no further stage'),
  STAGE_AFTER_COMPLETION: t('办结之后只能有送达', 'after completion only delivery may follow'),
  STAGE_REPEATED: t('该环节已报过', 'stage already reported'),
  STAGE_TIME_OUT_OF_RANGE: t('环节时间早于2000年或晚于当前时间', 'stage time before 2000 or in the future'),
  INVALID_TRANSITION: t('环节顺序不对', 'stage out of order'),
  RESULT_REQUIRED: t('办结须有办理结果', 'completion needs a result'),
  RESULT_REASON_REQUIRED: t('不予许可/不予受理须写明理由', 'a refusal needs its reason'),
  CERTIFICATE_NO_REQUIRED: t('该事项办结须有证照编号', 'this matter\'s completion needs a certificate number'),
  SPECIAL_REQUIRED: t('特别程序须写明种类', 'a special procedure needs its kind'),
  SPECIAL_KIND_UNKNOWN: t('未知的特别程序种类', 'unknown kind of special procedure'),
  SPECIAL_NOT_STARTED: t('特别程序尚未开始', 'special procedure not started'),
  SUPPLEMENT_NOT_REQUESTED: t('未发起补正即报补正材料', 'supplement received without a request'),
  DELIVERY_WITHOUT_COMPLETION: t('未办结即报送达', 'delivery reported before completion'),
  NOT_OF_DEPARTMENT: t('不属于本部门', 'not this department\'s'),
  PAYLOAD_ENCODING: t('报文编码无法识别（应为 UTF-8 或 GBK）', 'message encoding not recognised (UTF-8 or GBK)'),
  PAYLOAD_NOT_JSON: t('报文不是合法 JSON', 'message is not valid JSON'),
  PAYLOAD_NOT_OBJECT: t('报文应为 JSON 对象', 'message must be a JSON object'),
  PAYLOAD_NOT_XML: t('报文不是合法 XML', 'message is not valid XML'),
  PAYLOAD_XML_DTD: t('XML 报文不得含 DTD', 'XML may not contain a DTD'),
  PAYLOAD_NOT_FORM: t('报文不是表单格式', 'message is not a form'),
  PAYLOAD_NOT_BDCSJ: t('报文不是不动产登记交换格式（BDCSJ）', 'message is not a BDCSJ document'),
  ROW_ENCODING: t('该行编码无法识别', 'row encoding not recognised'),
  ROW_MISSING: t('缺少该行', 'row missing'),
  ROW_REJECTED: t('该行校验未通过', 'row invalid'),
  ROW_UNREADABLE: t('该行无法解析', 'row unreadable'),
  COLUMN_MISSING: t('缺少列', 'column missing'),
  COLUMN_REPEATED: t('列重复', 'column repeated'),
  COLUMN_UNKNOWN: t('未知列', 'unknown column'),
  UNKNOWN_MATTER: t('目录中没有该事项', 'matter not in the catalogue'),
  UNKNOWN_PROJECT: t('未知的申办号', 'unknown project number'),
  RESTRICTED_MATTER: t('涉密或上级系统的事项', 'classified or upper-level matter'),
};

/** Canonical stages (办件环节). */
const stage: Table = {
  SUBMITTED: t('申报', 'submitted'),
  ACCEPTED: t('受理', 'accepted'),
  NOT_ACCEPTED: t('不予受理', 'not accepted'),
  SUPPLEMENT_REQUESTED: t('补正告知', 'supplement requested'),
  SUPPLEMENT_RECEIVED: t('补正材料收到', 'supplement received'),
  UNDERTAKEN: t('承办', 'undertaken'),
  REVIEWED: t('审查', 'reviewed'),
  APPROVED: t('审批', 'approved'),
  SPECIAL_STARTED: t('特别程序开始', 'special procedure started'),
  SPECIAL_ENDED: t('特别程序结束', 'special procedure ended'),
  COMPLETED: t('办结', 'completed'),
  DELIVERED: t('送达', 'delivered'),
  WITHDRAWN: t('撤回', 'withdrawn'),
};

/** Delivery (outbox) states. */
const delivery: Table = {
  PENDING: t('待报送', 'waiting'),
  IN_FLIGHT: t('报送中', 'being sent'),
  DONE: t('已报送', 'delivered'),
  PARKED: t('滞留', 'parked', '查看原因；处理后在“滞留消息”页重发 · read the reason, fix, then rerun on 滞留消息'),
  SKIPPED: t('无需报送', 'nothing to send'),
  DELIVERED: t('已全部报送', 'all delivered'),
  NONE: t('无报送', 'nothing sent'),
};

/** What became of a message a department sent. */
const outcome: Table = {
  ACCEPTED: t('已接收', 'accepted'),
  DUPLICATE: t('重复', 'duplicate'),
  REJECTED: t('校验未通过', 'invalid', FIX_AND_RESEND),
  UNREADABLE: t('无法解析', 'unreadable', FIX_AND_RESEND),
  REFUSED: t('拒收', 'refused'),
  CONFIRMED: t('已确认', 'confirmed'),
};

/** Platform callbacks: their state and type. */
const callback: Table = {
  STORED: t('已保存', 'stored'),
  ROUTED: t('已分派到部门', 'routed to a department'),
  UNROUTABLE: t('无法分派（未知或涉密事项），待处理', 'cannot be routed (unknown or classified matter): waits for an operator'),
  REFUSED: t('已拒收', 'refused'),
  ONLINE_APPLICATION: t('网上申报', 'online application'),
  SUPPLEMENT_SUBMITTED: t('补正材料提交', 'supplement submitted'),
  WITHDRAWN: t('申请人撤回', 'withdrawn by the applicant'),
  URGE: t('督办/催办', 'urging'),
  EVALUATION: t('好差评', 'evaluation'),
};

/** Audit log actions. */
const audit: Table = {
  LOGIN: t('登录', 'signed in'),
  LOGIN_FAILED: t('登录失败', 'sign-in failed'),
  LOGOUT: t('退出登录', 'signed out'),
  PARKED_RERUN: t('重发滞留消息', 'parked message rerun'),
  PARKED_RERUN_MATCHING: t('按条件重发滞留消息', 'parked messages rerun by filter'),
  PARKED_CONFIRMED: t('确认滞留消息已在平台生效', 'parked message confirmed as done on the platform'),
  QUARANTINE_REPLAY: t('重放隔离报文', 'quarantined message replayed'),
  QUARANTINE_REPLAY_MATCHING: t('按条件重放隔离报文', 'quarantined messages replayed by filter'),
  QUARANTINE_CORRECTED: t('修正并重放隔离报文', 'quarantined message corrected and replayed'),
  DRAIN_ON: t('进入维护模式', 'drain on'),
  DRAIN_OFF: t('恢复报送', 'drain off'),
  OPERATOR_CREATED: t('新建账号', 'account created'),
  OPERATOR_UPDATED: t('修改账号', 'account changed'),
  INGRESS_REFUSED_RESTRICTED: t('拒收涉密或上级系统事项的报文', 'refused a classified or upper-level matter'),
  OPERATOR_TOKEN_READ: t('使用运维令牌读取', 'operator token used to read'),
  OPERATOR_TOKEN_WRITE: t('使用运维令牌操作', 'operator token used to act'),
  AUDIT_EXPORTED: t('导出审计记录', 'audit exported'),
  CALLBACK_REFUSED: t('拒收平台回调', 'platform callback refused'),
  RETENTION_PRUNED: t('按保存期限清理', 'pruned by retention'),
  CONFIG_RECORDED: t('首次记录进程的生效配置指纹', 'the process\'s effective configuration recorded for the first time'),
  CONFIG_CHANGED: t('配置自上次启动以来已变更（列出变化的设置，密钥只列名称）', 'the configuration changed since the last start (the settings named; secrets by name only)', '核对变更是否经过批准 · check that the change was approved'),
  TOTP_ENROLMENT_STARTED: t('开始绑定动态验证码', 'second-factor enrolment started'),
  TOTP_ENROLMENT_FAILED: t('绑定动态验证码失败', 'second-factor enrolment failed'),
  TOTP_ENABLED: t('启用动态验证码', 'second factor enabled'),
  TOTP_RESET: t('重置动态验证码', 'second factor reset'),
  PASSWORD_CHANGED: t('修改密码', 'password changed'),
  PASSWORD_CHANGE_FAILED: t('修改密码失败', 'password change failed'),
  CONNECTION_TESTED: t('测试连接', 'connection tested'),
  CATALOGUE_CHANGED: t('修改目录（部门或事项），已生效', 'catalogue changed (a department or matter), applied', '核对变更是否经过批准 · check that the change was approved'),
  CATALOGUE_DEPARTMENT_ADDED: t('目录：新增部门', 'catalogue: department added'),
  CATALOGUE_DEPARTMENT_CHANGED: t('目录：修改部门', 'catalogue: department changed'),
  CATALOGUE_MATTER_ADDED: t('目录：新增事项', 'catalogue: matter added'),
  CATALOGUE_MATTER_CHANGED: t('目录：修改事项', 'catalogue: matter changed'),
  CATALOGUE_RESTORED: t('目录：恢复到旧版本', 'catalogue: an earlier version restored'),
  DEPT_TOKEN_ISSUED: t('签发部门令牌', 'department token issued'),
  DEPT_TOKEN_REVOKED: t('吊销部门令牌', 'department token revoked'),
  CALLBACK_SECRET_ISSUED: t('签发市平台回调密钥', 'platform callback secret issued'),
  CALLBACK_SECRET_REVOKED: t('吊销市平台回调密钥', 'platform callback secret revoked'),
  BACKUP_CREATED: t('创建备份', 'backup made'),
  BACKUP_RESTORED: t('从备份恢复', 'restored from a backup'),
  DATA_KEY_ROTATION_REQUESTED: t('生成新数据密钥，旧密钥留作 previous（rotate-data-key）', 'new data key written, the old one kept as previous'),
  DATA_KEY_ROTATION_STARTED: t('开始用新数据密钥重新加密', 're-encryption with the new data key started'),
  DATA_KEY_ROTATION_COMPLETED: t('重新加密完成，旧数据密钥不再需要', 're-encryption finished: the previous data key is no longer needed', '失败时详情列出无法解开的条数 · on failure the detail counts the values neither key opens'),
  DATA_KEY_PREVIOUS_REMOVED: t('旧数据密钥已删除（rotate-data-key --finish）', 'the previous data key was removed'),
  RECONCILIATION: t('与市平台对账', 'reconciliation with the platform'),
  RECONCILIATION_FAILED: t('对账失败', 'reconciliation failed'),
  CALLBACK_UNROUTABLE: t('平台回调无法分派（未知或涉密事项）', 'platform callback could not be routed'),
  CALLBACK_STORED: t('平台回调已保存', 'platform callback stored'),
  TEST: t('测试记录', 'test entry'),
};

/** What `verify-audit` found. */
const auditBreak: Table = {
  ALTERED: t('审计记录被修改', 'entry altered', '立即报告安全负责人，并以导出的副本核对 · report it and compare with an exported copy'),
  DELETED: t('审计记录被删除', 'entry deleted', '立即报告安全负责人 · report it at once'),
  LINK_BROKEN: t('审计链断开（记录被调换或插入）', 'chain broken: reordered or inserted', '立即报告安全负责人 · report it at once'),
  TRUNCATED: t('审计链末尾记录被删除', 'latest entries deleted', '立即报告安全负责人 · report it at once'),
  UNCHAINED: t('有记录被直接插入数据库', 'a row was inserted directly', '立即报告安全负责人 · report it at once'),
  HEAD_ALTERED: t('审计链头被改动', 'chain head altered', '立即报告安全负责人 · report it at once'),
  ANCHOR_ALTERED: t('审计链起点被改动', 'chain start altered', '立即报告安全负责人 · report it at once'),
};

/** Why a delivery was retried or parked (`lastErrorCode`); `HTTP_<status>` and `DEPT_<status>` by pattern below. */
const park: Table = {
  ECONNECT_TIMEOUT: t('连接建立超时（防火墙或专线不通）', 'no connection within the time limit (firewall or link)'),
  TRANSPORT: t('网络连接失败', 'network failure', '检查网关到对方的网络、地址和证书 · check the network, URL and certificate'),
  LICENCE_UNKNOWN: t('证照登记结果不明（调用可能已到达平台）', 'licence registration outcome unknown (the call may have arrived)', '向市平台核实该证照是否已登记，再点“确认已登记”或“重发” · ask the platform, then confirm or rerun'),
  LICENCE_TYPE_UNKNOWN: t('该事项没有配置证照类型', 'the matter has no licence type', '在 config/licence-types.yaml 中登记后重启并重发 · add it to config/licence-types.yaml, restart, rerun'),
  CERTIFICATE_NO_MISSING: t('办结未带证照编号（证照类型表要求部门提供）', 'the completion carries no certificate number the licence table expects', '请部门补报带证照编号的办结，或改为网关编号 · have the department resend it, or let the gateway number it'),
  NO_PROJECT_NO: t('平台受理成功但未返回办件编号', 'platform accepted but returned no project number', '联系市平台 · contact the city platform'),
  NOT_YET_ACCEPTED: t('办件尚未在平台受理', 'the case has no project number yet'),
  FOLLOW_UP_INVALID: t('无法发送后续报送', 'cannot send the follow-up'),
  NO_PLATFORM: t('未配置市平台', 'no platform configured'),
  MISSING_CALLBACK: t('找不到回调内容', 'the callback record is missing'),
  MISSING_EVENT: t('找不到对应的办件或环节', 'case or event row is missing'),
  NO_DELIVERY_URL: t('部门未配置接收地址，也未启用收件箱', 'the department has no push URL and no inbox'),
  UNKNOWN: t('未知错误', 'unknown error'),
};

const patterns: { test: RegExp; text: (m: RegExpMatchArray) => CodeText }[] = [
  {
    test: /^HTTP_(\d{3})$/,
    text: (m) =>
      m[1] === '429'
        ? t('对方限流（HTTP 429）', 'rate-limited by the other side (HTTP 429)', '网关会按 Retry-After 自动放慢 · the gateway slows down by itself')
        : m[1].startsWith('5')
          ? t(`对方服务故障（HTTP ${m[1]}）`, `the other side failed (HTTP ${m[1]})`, '网关自动重试；持续出现请联系对方 · retried automatically; if it lasts, call them')
          : t(`对方拒绝（HTTP ${m[1]}）`, `refused by the other side (HTTP ${m[1]})`, '核对地址和凭据 · check the URL and credentials'),
  },
  {
    test: /^DEPT_(\d{3})$/,
    text: (m) => t(`部门系统拒收（HTTP ${m[1]}）`, `the department's system refused it (HTTP ${m[1]})`, '联系该部门系统的厂商，处理后重发 · ask the vendor, then rerun'),
  },
];

/** Platform business codes (city-platform interface), by their number. */
const platform: Table = {
  '0': t('成功', 'success'),
  '1001': t('签名无效', 'signature invalid', '核对 CITY_PLATFORM_SECRET 与签名算法 · check the platform secret and algorithm'),
  '1002': t('时间戳超出窗口', 'timestamp outside the window', '校准服务器时钟（NTP）· fix the server clock'),
  '1003': t('随机数重复', 'nonce replayed'),
  '1004': t('应用未授权', 'application not authorised', '核对 CITY_PLATFORM_APP_ID，联系市平台开通 · check the app id with the platform'),
  '2001': t('平台字段校验失败', 'platform field validation failed', '按平台给出的字段修正后重发 · fix the fields it names and rerun'),
  '2002': t('序号冲突：同一序号内容不同', 'sequence conflict: same seq, different content'),
  '2003': t('案件已在平台办结', 'case already closed on the platform'),
  '2004': t('平台无此办件编号', 'platform does not know the project number'),
  '3001': t('序号缺口：前序环节未到达', 'sequence gap: an earlier stage has not arrived'),
  '9999': t('平台繁忙', 'platform busy', '网关自动重试 · retried automatically'),
};

/** Circuit breakers (towards the platform's endpoints and each department's system). */
const breaker: Table = {
  CLOSED: t('正常', 'closed (calls flow)'),
  OPEN: t('已熔断，暂停调用', 'open: calls paused', '等待自动试探；持续熔断请看总览的处置提示 · it probes by itself; see the overview\'s hint'),
  HALF_OPEN: t('试探中', 'half-open: probing'),
};

/** Why a sign-in failed (audit detail). */
const login: Table = {
  WRONG_PASSWORD: t('密码错误', 'wrong password'),
  WRONG_TOTP: t('动态验证码错误', 'wrong one-time code'),
  UNKNOWN_USER: t('用户名不存在', 'unknown user name'),
  LOCKED: t('用户名已锁定', 'user name locked'),
  ADDRESS_LOCKED: t('来源地址已锁定', 'address locked'),
  TOTP_CHALLENGE_INVALID: t('第二步已过期或无效', 'second step expired or invalid'),
};

export const CODE_CATALOGUE: Readonly<Record<CodeCategory, Table>> = {
  error,
  field,
  stage,
  delivery,
  outcome,
  callback,
  audit,
  auditBreak,
  park,
  platform,
  login,
  breaker,
};

const SEARCH_ORDER: CodeCategory[] = ['error', 'field', 'park', 'delivery', 'outcome', 'stage', 'callback', 'audit', 'auditBreak', 'login', 'breaker', 'platform'];

/** The text of a code, from its own category first (ACCEPTED is 受理 as a stage, 已接收 as an outcome). */
export function describeCode(code: string, category?: CodeCategory): CodeText | undefined {
  if (category && CODE_CATALOGUE[category][code]) return CODE_CATALOGUE[category][code];
  for (const c of SEARCH_ORDER) if (CODE_CATALOGUE[c][code]) return CODE_CATALOGUE[c][code];
  for (const p of patterns) {
    const m = code.match(p.test);
    if (m) return p.text(m);
  }
  return undefined;
}

const HAS_CHINESE = /[\u4e00-\u9fff]/;

/**
 * A message as an operator should read it: Chinese first. Messages written in English only (most
 * field checks) get the catalogue's Chinese text in front; ones that already speak Chinese are kept.
 */
export function chineseFirst(code: string, message: string, category?: CodeCategory): string {
  if (HAS_CHINESE.test(message)) return message;
  const text = describeCode(code, category);
  return text ? `${text.zh} ${message}` : message;
}

/** The catalogue as served to the dashboard: every category, plus the HTTP_/DEPT_ patterns' texts. */
export function codeCatalogueForClients(): { categories: Record<CodeCategory, Table> } {
  return { categories: CODE_CATALOGUE as Record<CodeCategory, Table> };
}

const CATEGORY_TITLES: Record<CodeCategory, string> = {
  error: '应答代码 · Answer codes (`code`)',
  field: '字段问题 · Field problems (`errors[].code`)',
  stage: '办件环节 · Stages',
  delivery: '报送状态 · Delivery states',
  outcome: '报文处理结果 · What became of a message',
  callback: '平台回调 · Platform callbacks (state and type)',
  audit: '审计动作 · Audit actions',
  auditBreak: '审计链校验 · Audit chain check',
  park: '重试与滞留原因 · Why a delivery was retried or parked',
  platform: '市平台业务码 · The platform\'s business codes',
  login: '登录失败原因 · Why a sign-in failed',
  breaker: '熔断状态 · Breakers',
};

/** docs/codes.md, written from this catalogue (the spec keeps the file in step). */
export function codeCatalogueMarkdown(): string {
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const out = [
    '# 代码表 · Code catalogue',
    '',
    '网关应答、看板、审计日志中出现的每个代码的中文说明、英文说明和下一步。本文件由 `libs/common/src/code-catalogue.ts` 生成',
    '（`UPDATE_CODE_DOCS=1 npx jest libs/common/src/code-catalogue.spec.ts`），运行中的网关也以 `GET /api/v1/codes` 提供同样内容。',
    'Every code the gateway answers or shows, with its Chinese text, English and next step; generated from the catalogue,',
    'and served by a running gateway at `GET /api/v1/codes`.',
    '',
    '另有按模式的代码 · codes by pattern: `HTTP_<状态码>`（对方以该 HTTP 状态应答：429 限流、5xx 对方故障、其他为拒绝 · the other side answered that status）、',
    '`DEPT_<状态码>`（部门系统拒收 · the department\'s system refused it）。',
  ];
  for (const category of Object.keys(CODE_CATALOGUE) as CodeCategory[]) {
    out.push('', `## ${CATEGORY_TITLES[category]}`, '', '| 代码 code | 中文 | English | 下一步 next step |', '|---|---|---|---|');
    for (const [code, text] of Object.entries(CODE_CATALOGUE[category])) {
      out.push(`| \`${code}\` | ${cell(text.zh)} | ${cell(text.en)} | ${cell(text.next ?? '')} |`);
    }
  }
  return out.join('\n') + '\n';
}
