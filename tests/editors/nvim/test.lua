-- Headless Neovim test of editors/neovim against the real keras-lsp binary.
-- Run through tests/editors/nvim/run.sh:  nvim --clean -l test.lua REPO_ROOT BIN
-- Prints `ok - NAME` / `FAIL - NAME: DETAIL` per check and `N passed, N failed` last.

local root, bin = arg[1], arg[2]
assert(root and bin, 'usage: nvim --clean -l test.lua REPO_ROOT KERAS_LSP_BIN')
local plugin_dir = root .. '/editors/neovim'
local workspace = root .. '/tests/editors/workspace'
local model_py = workspace .. '/model.py'
local inits_py = workspace .. '/inits.py'

vim.g.loaded_python3_provider = 0
vim.opt.runtimepath:prepend(plugin_dir)
vim.cmd('filetype on')

local passed, failed = 0, 0
local started = vim.uv.hrtime()

local function out(line)
  io.stdout:write(line .. '\n')
  io.stdout:flush()
end

local function check(name, cond, detail)
  if cond then
    passed = passed + 1
    out('ok - ' .. name)
  else
    failed = failed + 1
    out('FAIL - ' .. name .. (detail ~= nil and (': ' .. vim.inspect(detail)) or ''))
  end
  return cond
end

local function contains_all(text, needles)
  local missing = {}
  for _, needle in ipairs(needles) do
    if not text:find(needle, 1, true) then
      table.insert(missing, needle)
    end
  end
  return #missing == 0, missing
end

local function finish()
  out(('# %.1f s'):format((vim.uv.hrtime() - started) / 1e9))
  out(('%d passed, %d failed'):format(passed, failed))
  os.exit(failed == 0 and 0 or 1)
end

-- 0-based line of the first line containing `needle`, and the byte column of needle.
local function find_line(bufnr, needle)
  for i, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local col = line:find(needle, 1, true)
    if col then
      return i - 1, col - 1
    end
  end
  error('fixture line not found: ' .. needle)
end

local function label_text(hint)
  local label = hint.label
  if type(label) == 'string' then
    return label
  end
  local parts = {}
  for _, part in ipairs(label) do
    table.insert(parts, part.value)
  end
  return table.concat(parts)
end

local function run()
  -- 1. lsp/keras_lsp.lua is found on the runtimepath by vim.lsp.config.
  local base = vim.lsp.config.keras_lsp
  check('lsp/keras_lsp.lua is picked up by vim.lsp.config', base ~= nil)
  if not base then
    return
  end
  check('default cmd is keras-lsp', vim.deep_equal(base.cmd, { 'keras-lsp' }), base.cmd)
  check('filetypes = python', vim.deep_equal(base.filetypes, { 'python' }), base.filetypes)
  -- nvim-lspconfig's shape: Python project files of equal priority (a nested list, Nvim 0.11.3+),
  -- then `.git`.
  check(
    'root_markers: { { pyproject.toml, setup.py, ... }, { .git } }',
    vim.deep_equal(
      base.root_markers,
      { { 'pyproject.toml', 'setup.py', 'setup.cfg', 'requirements.txt', 'Pipfile' }, { '.git' } }
    ),
    base.root_markers
  )
  local shape = loadfile(plugin_dir .. '/lsp/keras_lsp.lua')()
  local keys = vim.tbl_keys(shape)
  table.sort(keys)
  -- `handlers` only where Neovim has no workspace/diagnostic/refresh handler of its own (0.11).
  local own_refresh = vim.lsp.handlers['workspace/diagnostic/refresh'] ~= nil
  check(
    'lsp/keras_lsp.lua returns a plain vim.lsp.Config table (cmd, filetypes, root_markers, before_init'
      .. (own_refresh and ')' or ', handlers)'),
    vim.deep_equal(
      keys,
      own_refresh and { 'before_init', 'cmd', 'filetypes', 'root_markers' }
        or { 'before_init', 'cmd', 'filetypes', 'handlers', 'root_markers' }
    ),
    keys
  )
  check(
    'handlers: only workspace/diagnostic/refresh, and only when Neovim lacks it',
    own_refresh and shape.handlers == nil
      or vim.deep_equal(vim.tbl_keys(shape.handlers or {}), { 'workspace/diagnostic/refresh' }),
    shape.handlers
  )

  -- 2. setup() with a custom cmd and flat settings.
  local keras_lsp = require('keras_lsp')
  keras_lsp.setup({
    cmd = { bin },
    settings = { inlayHints = { enabled = true, showDefaults = true }, keras = 'auto' },
  })
  local cfg = vim.lsp.config.keras_lsp
  check('setup() sets cmd', cfg.cmd[1] == bin, cfg.cmd)
  check(
    'setup() nests flat settings under kerasLsp',
    cfg.settings and cfg.settings.kerasLsp and cfg.settings.kerasLsp.keras == 'auto',
    cfg.settings
  )

  -- 3. Opening a Python file starts the server and attaches it.
  vim.cmd('edit ' .. vim.fn.fnameescape(model_py))
  local bufnr = vim.api.nvim_get_current_buf()
  check('model.py has filetype python', vim.bo[bufnr].filetype == 'python', vim.bo[bufnr].filetype)
  local client
  vim.wait(15000, function()
    client = keras_lsp.clients({ bufnr = bufnr })[1]
    return client ~= nil and client.initialized == true
  end, 20)
  if not check('client attaches and initializes', client ~= nil and client.initialized) then
    return
  end
  check('root_dir is the fixture workspace', client.root_dir == workspace, client.root_dir)
  check('server advertises inlayHint', client:supports_method('textDocument/inlayHint'))
  check('server advertises hover', client:supports_method('textDocument/hover'))
  check('server advertises definition', client:supports_method('textDocument/definition'))
  check(
    'inlay hints enabled by setup() for the attached buffer',
    vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr })
  )

  -- 4. Inlay hints on the Conv2D, LSTM and Dense lines.
  local conv_line = find_line(bufnr, 'keras.layers.Conv2D(')
  local lstm_line = find_line(bufnr, 'keras.layers.LSTM(')
  local dense_line = find_line(bufnr, 'keras.layers.Dense(64')
  local custom_line = find_line(bufnr, 'inits.MyInit(')
  local expected = {
    { 'Conv2D hint: kernel=he_uniform bias=zeros', conv_line, { 'kernel=he_uniform', 'bias=zeros' } },
    -- 79 characters in full: cut at 60 (the bias is in the tooltip and the hover).
    {
      'LSTM hint: glorot_uniform kernel, orthogonal recurrent kernel, +1 more',
      lstm_line,
      { 'kernel=glorot_uniform recurrent_kernel=orthogonal +1 more' },
    },
    { 'Dense hint: kernel=he_normal bias=zeros', dense_line, { 'kernel=he_normal bias=zeros' } },
    -- Resolving MyInit needs inits.py indexed: the server answers `kernel=?` until then and
    -- sends workspace/inlayHint/refresh when indexing ends, which Neovim honours.
    { 'custom initializer hint shows kernel=MyInit(scale=0.5...) (after refresh)', custom_line, { 'kernel=MyInit(scale=0.5' } },
  }
  local by_line = {}
  local function all_there()
    by_line = {}
    for _, item in ipairs(vim.lsp.inlay_hint.get({ bufnr = bufnr })) do
      local line = item.inlay_hint.position.line
      by_line[line] = (by_line[line] and (by_line[line] .. ' | ') or '') .. label_text(item.inlay_hint)
    end
    for _, e in ipairs(expected) do
      if not contains_all(by_line[e[2]] or '', e[3]) then
        return false
      end
    end
    return true
  end
  vim.wait(15000, all_there, 50)
  for _, e in ipairs(expected) do
    local text = by_line[e[2]] or ''
    local ok, missing = contains_all(text, e[3])
    check(e[1], ok, { hint = text, missing = missing })
  end
  -- Code follows each hint (`(inputs)`, `(x)`): paddingRight, which Neovim renders as a space.
  local conv_hint = vim.lsp.inlay_hint.get({ bufnr = bufnr, range = {
    start = { line = conv_line, character = 0 }, ['end'] = { line = conv_line + 1, character = 0 } } })[1]
  check('Conv2D hint has paddingRight', conv_hint and conv_hint.inlay_hint.paddingRight == true, conv_hint)
  -- Inlay hints are drawn by a decoration provider when the window is redrawn; headless Neovim
  -- redraws only when asked.
  vim.cmd('redraw')
  local rendered = {}
  for name, ns in pairs(vim.api.nvim_get_namespaces()) do
    if name:lower():find('inlay', 1, true) then
      for _, m in ipairs(vim.api.nvim_buf_get_extmarks(bufnr, ns, { conv_line, 0 }, { conv_line, -1 }, { details = true })) do
        for _, chunk in ipairs(m[4].virt_text or {}) do
          table.insert(rendered, chunk[1])
        end
      end
    end
  end
  rendered = table.concat(rendered)
  check('Conv2D hint is drawn with a space before (inputs)', rendered == ' kernel=he_uniform bias=zeros ', rendered)

  -- 5. Hover on the Dense layer, through the real UI path (floating window).
  local _, dense_col = find_line(bufnr, 'Dense(64')
  vim.api.nvim_win_set_cursor(0, { dense_line + 1, dense_col + 1 })
  local params = vim.lsp.util.make_position_params(0, client.offset_encoding)
  local resp = vim.lsp.buf_request_sync(bufnr, 'textDocument/hover', params, 5000) or {}
  local hover = ''
  for _, r in pairs(resp) do
    if r.result and r.result.contents then
      local c = r.result.contents
      hover = type(c) == 'string' and c or (c.value or vim.inspect(c))
    end
  end
  local ok, missing = contains_all(hover, { 'keras.layers.Dense', 'kernel', 'HeNormal', 'bias', 'Zeros' })
  check('hover names keras.layers.Dense, kernel HeNormal, bias Zeros', ok, { hover = hover, missing = missing })
  -- A bullet per weight, not a table (Neovim's float shows the markdown source).
  check(
    'hover is a bullet per weight, no table',
    hover:find('\n- **kernel** `HeNormal(seed=None)` — argument `kernel_initializer` at line 11\n', 1, true) ~= nil
      and hover:find('\n- **bias** `Zeros()` — argument `bias_initializer` at line 11\n', 1, true) ~= nil
      and hover:find('|', 1, true) == nil,
    hover
  )

  local wins_before = #vim.api.nvim_list_wins()
  vim.lsp.buf.hover()
  local float_text = ''
  vim.wait(5000, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        local lines = vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false)
        float_text = table.concat(lines, '\n')
        return true
      end
    end
    return false
  end, 20)
  ok, missing = contains_all(float_text, { 'keras.layers.Dense', 'HeNormal', 'Zeros' })
  check('vim.lsp.buf.hover() opens a float with the initializers', ok, { float = float_text, missing = missing })
  ok, missing = contains_all(float_text, { '\n- **kernel** `HeNormal(seed=None)`', '\n- **bias** `Zeros()`' })
  check(
    'the hover float has a line per weight and no table rows',
    ok and not float_text:find('|', 1, true),
    { float = float_text, missing = missing }
  )
  -- KERAS_LSP_NVIM_FLOAT_OUT=FILE keeps the float's text (to look at, or attach to a report).
  local float_out = os.getenv('KERAS_LSP_NVIM_FLOAT_OUT')
  if float_out and float_out ~= '' then
    local f = io.open(float_out, 'w')
    if f then
      f:write(float_text, '\n')
      f:close()
    end
  end
  for _, win in ipairs(vim.api.nvim_list_wins()) do
    if vim.api.nvim_win_get_config(win).relative ~= '' then
      vim.api.nvim_win_close(win, true)
    end
  end
  check('hover float closed', #vim.api.nvim_list_wins() == wins_before)

  -- `K` is hover (Neovim's default mapping once a server with hover attaches).
  local function close_floats()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        vim.api.nvim_win_close(win, true)
      end
    end
  end
  vim.api.nvim_win_set_cursor(0, { dense_line + 1, dense_col + 1 })
  vim.api.nvim_feedkeys('K', 'x', false)
  local k_text = ''
  vim.wait(5000, function()
    for _, win in ipairs(vim.api.nvim_list_wins()) do
      if vim.api.nvim_win_get_config(win).relative ~= '' then
        k_text = table.concat(vim.api.nvim_buf_get_lines(vim.api.nvim_win_get_buf(win), 0, -1, false), '\n')
        return true
      end
    end
    return false
  end, 20)
  check('K opens the hover float', k_text:find('keras.layers.Dense', 1, true) ~= nil, k_text)
  close_floats()

  -- 6. Go to definition from the custom initializer's use to its class.
  local _, my_col = find_line(bufnr, 'MyInit(scale')
  vim.api.nvim_win_set_cursor(0, { custom_line + 1, my_col + 2 })
  vim.lsp.buf.definition()
  vim.wait(5000, function()
    return vim.api.nvim_buf_get_name(0) == inits_py
  end, 20)
  local cursor = vim.api.nvim_win_get_cursor(0)
  local target_line = vim.api.nvim_buf_get_lines(0, cursor[1] - 1, cursor[1], false)[1] or ''
  check(
    'definition jumps to class MyInit in inits.py',
    vim.api.nvim_buf_get_name(0) == inits_py and target_line:find('class MyInit', 1, true) ~= nil,
    { file = vim.api.nvim_buf_get_name(0), line = cursor[1], text = target_line }
  )
  vim.cmd('buffer ' .. bufnr)

  -- The keys the README names: CTRL-] goes to the definition through the LSP ('tagfunc'), `gd`
  -- does not (Neovim's own "go to local declaration", which stays in the file).
  vim.api.nvim_win_set_cursor(0, { custom_line + 1, my_col + 2 })
  vim.api.nvim_feedkeys(vim.keycode('<C-]>'), 'x', false)
  vim.wait(5000, function()
    return vim.api.nvim_buf_get_name(0) == inits_py
  end, 20)
  cursor = vim.api.nvim_win_get_cursor(0)
  target_line = vim.api.nvim_buf_get_lines(0, cursor[1] - 1, cursor[1], false)[1] or ''
  check(
    'CTRL-] jumps to class MyInit in inits.py',
    vim.api.nvim_buf_get_name(0) == inits_py and target_line:find('class MyInit', 1, true) ~= nil,
    { file = vim.api.nvim_buf_get_name(0), line = cursor[1], text = target_line }
  )
  vim.cmd('buffer ' .. bufnr)
  vim.api.nvim_win_set_cursor(0, { custom_line + 1, my_col + 2 })
  pcall(vim.api.nvim_feedkeys, 'gd', 'x', false)
  vim.wait(300)
  check(
    'gd is not LSP go-to-definition (no mapping; it stays in model.py)',
    vim.fn.maparg('gd', 'n') == '' and vim.api.nvim_buf_get_name(0) == model_py,
    { mapping = vim.fn.maparg('gd', 'n'), file = vim.api.nvim_buf_get_name(0) }
  )
  vim.cmd('buffer ' .. bufnr)

  -- 7. Settings changed at run time reach the server (workspace/didChangeConfiguration).
  local function request_hints()
    local p = {
      textDocument = vim.lsp.util.make_text_document_params(bufnr),
      range = {
        start = { line = 0, character = 0 },
        ['end'] = { line = vim.api.nvim_buf_line_count(bufnr), character = 0 },
      },
    }
    local r = vim.lsp.buf_request_sync(bufnr, 'textDocument/inlayHint', p, 5000) or {}
    local n = 0
    for _, x in pairs(r) do
      n = n + #(x.result or {})
    end
    return n
  end
  keras_lsp.update_settings({ inlayHints = { enabled = false } })
  local n_off
  vim.wait(5000, function()
    n_off = request_hints()
    return n_off == 0
  end, 100)
  check('inlayHints.enabled=false via didChangeConfiguration hides hints', n_off == 0, n_off)
  keras_lsp.update_settings({ inlayHints = { enabled = true } })
  local n_on
  vim.wait(5000, function()
    n_on = request_hints()
    return n_on > 0
  end, 100)
  check('inlayHints.enabled=true brings them back', n_on > 0, n_on)

  -- 8. :checkhealth keras_lsp
  local function checkhealth()
    vim.cmd('silent checkhealth keras_lsp')
    local text = table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), '\n')
    vim.cmd('bwipeout!')
    return text
  end
  local health = checkhealth()
  ok, missing = contains_all(health, { 'server binary:', 'version: keras-lsp', 'is enabled', 'attached to', 'inlay hints enabled in' })
  check('checkhealth reports binary, version, client and inlay hints', ok, { missing = missing, health = health })
  check('checkhealth reports no ERROR', not health:find('ERROR', 1, true), health)
  local root_line = ('root: %s (it has pyproject.toml)'):format(vim.fn.fnamemodify(workspace, ':~'))
  check('checkhealth shows the real root and why', health:find(root_line, 1, true) ~= nil, { want = root_line, health = health })
  check('checkhealth shows no nil root', not health:find('root: nil', 1, true), health)

  -- A file in a folder without any root marker: the server takes that folder, and the health
  -- check says so (a warning, not OK).
  local solo_dir = vim.fn.tempname()
  vim.fn.mkdir(solo_dir, 'p')
  local solo_py = solo_dir .. '/solo.py'
  vim.fn.writefile({ 'import keras', '', 'layer = keras.layers.Dense(4)' }, solo_py)
  check('the rootless file has no root marker above it', vim.fs.root(solo_py, { 'pyproject.toml', 'setup.py', '.git' }) == nil)
  vim.cmd('edit ' .. vim.fn.fnameescape(solo_py))
  local solo_buf = vim.api.nvim_get_current_buf()
  local solo_client
  vim.wait(15000, function()
    solo_client = keras_lsp.clients({ bufnr = solo_buf })[1]
    return solo_client ~= nil and solo_client.initialized == true
  end, 20)
  check('a second client starts for the rootless file', solo_client ~= nil and solo_client ~= client)
  health = checkhealth()
  local solo_line = ('the server takes the folder of the first file opened, %s'):format(vim.fn.fnamemodify(solo_dir, ':~'))
  check(
    'checkhealth warns that the rootless file has no project root and names the folder used',
    health:find('WARNING no project root', 1, true) ~= nil and health:find(solo_line, 1, true) ~= nil,
    { want = solo_line, health = health }
  )
  check('checkhealth still shows the workspace client root', health:find(root_line, 1, true) ~= nil, health)
  if solo_client then
    solo_client:stop()
    vim.wait(5000, function()
      return solo_client:is_stopped()
    end, 20)
  end
  vim.cmd('buffer ' .. bufnr)
  vim.cmd('bwipeout! ' .. solo_buf)

  -- 9. The help file has valid tags (built in a copy: the plugin folder is left clean).
  local doc_copy = vim.fn.tempname()
  vim.fn.mkdir(doc_copy .. '/doc', 'p')
  vim.fn.writefile(vim.fn.readfile(plugin_dir .. '/doc/keras_lsp.txt'), doc_copy .. '/doc/keras_lsp.txt')
  local tags_ok, tags_err = pcall(vim.cmd, 'helptags ' .. vim.fn.fnameescape(doc_copy .. '/doc'))
  local tags = tags_ok and table.concat(vim.fn.readfile(doc_copy .. '/doc/tags'), '\n') or ''
  check(
    'doc/keras_lsp.txt builds help tags',
    tags_ok
      and tags:find('keras_lsp-settings', 1, true)
      and tags:find('keras_lsp-diagnostics', 1, true)
      and tags:find('keras_lsp.update_settings()', 1, true),
    tags_err
  )

  -- 10. Diagnostics and their quick fixes, through Neovim's own diagnostic and code action machinery.
  -- Each fixture is written to a folder of its own (with a pyproject.toml), so each gets a client
  -- of its own, started with the config in force when it is opened.
  local diag_lines = {
    'import keras',
    '',
    'a = keras.layers.Dense(64, kernel_initializer="he_normall")',
    'b = keras.layers.Dense(8, use_bias=False, bias_initializer="ones")',
  }
  local diag_clients = {}
  local function open_fixture(name)
    local dir = vim.fn.tempname()
    vim.fn.mkdir(dir, 'p')
    local project = { '[project]', 'name = "keras-lsp-nvim-diagnostics"', 'version = "0.0.0"' }
    vim.fn.writefile(project, dir .. '/pyproject.toml')
    local file = dir .. '/' .. name
    vim.fn.writefile(diag_lines, file)
    vim.cmd('edit ' .. vim.fn.fnameescape(file))
    local buf = vim.api.nvim_get_current_buf()
    local c
    vim.wait(15000, function()
      c = keras_lsp.clients({ bufnr = buf })[1]
      return c ~= nil and c.initialized == true
    end, 20)
    if c then
      table.insert(diag_clients, c)
    end
    return buf, c, dir
  end
  -- keras-lsp's diagnostics in `buf`, by code (vim.diagnostic.get: what Neovim shows).
  local function diags_by_code(buf)
    local by, n = {}, 0
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      if d.source == 'keras-lsp' then
        by[d.code] = d
        n = n + 1
      end
    end
    return by, n
  end
  local function line_text(buf, lnum)
    return vim.api.nvim_buf_get_lines(buf, lnum, lnum + 1, false)[1]
  end
  local function describe(buf)
    local all = {}
    for _, d in ipairs(vim.diagnostic.get(buf)) do
      table.insert(all, { code = d.code, lnum = d.lnum, col = d.col, severity = d.severity, message = d.message })
    end
    return all
  end

  -- The shared fixture is correct code: no diagnostic (model.py has been open since step 3).
  local _, model_n = diags_by_code(bufnr)
  check('model.py has no keras-lsp diagnostic', model_n == 0, describe(bufnr))

  local diag_buf, diag_client = open_fixture('diagnostics.py')
  check('a client attaches to the diagnostics fixture', diag_client ~= nil and diag_client ~= client)
  local by, n
  vim.wait(15000, function()
    by, n = diags_by_code(diag_buf)
    return by['unknown-initializer'] ~= nil and by['ignored-initializer'] ~= nil
  end, 20)
  check('two keras-lsp diagnostics: unknown-initializer and ignored-initializer', n == 2
    and by['unknown-initializer'] ~= nil and by['ignored-initializer'] ~= nil, describe(diag_buf))
  local unknown, ignored = by['unknown-initializer'], by['ignored-initializer']
  local _, str_col = find_line(diag_buf, '"he_normall"')
  check(
    'unknown-initializer: an error on the string "he_normall", naming it and the fix',
    unknown ~= nil
      and unknown.severity == vim.diagnostic.severity.ERROR
      and unknown.lnum == 2 and unknown.end_lnum == 2
      and unknown.col == str_col and unknown.end_col == str_col + #'"he_normall"'
      and unknown.message:find("'he_normall' is not an initializer identifier", 1, true) ~= nil
      and unknown.message:find("did you mean 'he_normal'?", 1, true) ~= nil,
    unknown
  )
  local _, arg_col = find_line(diag_buf, 'bias_initializer="ones"')
  check(
    'ignored-initializer: a warning on bias_initializer="ones", marked unnecessary',
    ignored ~= nil
      and ignored.severity == vim.diagnostic.severity.WARN
      and ignored.lnum == 3
      and ignored.col == arg_col and ignored.end_col == arg_col + #'bias_initializer="ones"'
      and (ignored._tags or {}).unnecessary == true
      and ignored.message:find('`bias_initializer` does nothing: `Dense` creates no `bias` weight', 1, true) ~= nil,
    ignored
  )

  -- The quick fixes, as a user gets them, with the cursor on the diagnostic. First through
  -- vim.lsp.buf.code_action(), which sends the line's diagnostics in the context and applies the
  -- one action the filter leaves; then with `gra` (Neovim's default mapping), which shows the
  -- menu of all actions (vim.ui.select, replaced here by a pick of the entry titled `pick`).
  local function code_action(lnum, col, opts)
    local seen, menu = {}, nil
    local select = vim.ui.select
    vim.ui.select = function(items, select_opts, on_choice)
      menu = {}
      local chosen
      for i, item in ipairs(items) do
        local text = select_opts.format_item and select_opts.format_item(item) or tostring(item)
        table.insert(menu, text)
        if opts.pick and text == opts.pick and not chosen then
          chosen = i
        end
      end
      on_choice(chosen and items[chosen] or nil, chosen)
    end
    vim.api.nvim_win_set_cursor(0, { lnum + 1, col })
    if opts.keys then
      vim.api.nvim_feedkeys(opts.keys, 'x', false)
    else
      vim.lsp.buf.code_action({
        context = { only = { 'quickfix' } },
        filter = function(action)
          table.insert(seen, action.title)
          return action.title == opts.title
        end,
        apply = true,
      })
    end
    vim.wait(5000, function()
      return #seen > 0 or menu ~= nil
    end, 10)
    vim.ui.select = select
    return { filtered = seen, menu = menu }
  end
  local fixed_a = 'a = keras.layers.Dense(64, kernel_initializer="he_normal")'
  local offered = code_action(2, str_col + 3, { title = "Replace with 'he_normal'" })
  vim.wait(5000, function()
    return line_text(diag_buf, 2) == fixed_a
  end, 20)
  check(
    "quick fix \"Replace with 'he_normal'\" applied by vim.lsp.buf.code_action edits the buffer",
    line_text(diag_buf, 2) == fixed_a and vim.bo[diag_buf].modified and offered.menu == nil,
    { line = line_text(diag_buf, 2), offered = offered }
  )
  vim.wait(5000, function()
    by, n = diags_by_code(diag_buf)
    return by['unknown-initializer'] == nil
  end, 20)
  check(
    'after the fix, unknown-initializer is gone and ignored-initializer stays',
    by['unknown-initializer'] == nil and by['ignored-initializer'] ~= nil and n == 1,
    describe(diag_buf)
  )

  local fixed_b = 'b = keras.layers.Dense(8, use_bias=False)'
  offered = code_action(3, arg_col + 2, { keys = 'gra', pick = 'Remove `bias_initializer`' })
  local menu = offered.menu or {}
  check(
    '`gra` on the argument: a menu with the quick fix first, then the refactor "Make `kernel_initializer` explicit"',
    menu[1] == 'Remove `bias_initializer`'
      and #vim.tbl_filter(function(t)
        return vim.startswith(t, 'Make `kernel_initializer` explicit')
      end, menu) == 1,
    offered
  )
  vim.wait(5000, function()
    return line_text(diag_buf, 3) == fixed_b
  end, 20)
  check(
    'quick fix "Remove `bias_initializer`" picked in that menu removes the argument and its comma',
    line_text(diag_buf, 3) == fixed_b,
    { line = line_text(diag_buf, 3), offered = offered }
  )
  vim.wait(5000, function()
    _, n = diags_by_code(diag_buf)
    return n == 0
  end, 20)
  check('after both fixes the buffer has no keras-lsp diagnostic', n == 0, describe(diag_buf))
  check(
    'the whole buffer is the fixture with the two fixes',
    vim.deep_equal(
      vim.api.nvim_buf_get_lines(diag_buf, 0, -1, false),
      { diag_lines[1], diag_lines[2], fixed_a, fixed_b }
    ),
    vim.api.nvim_buf_get_lines(diag_buf, 0, -1, false)
  )
  -- Undo brings the text and, after the server's answer, the diagnostics back.
  vim.cmd('silent undo')
  vim.cmd('silent undo')
  vim.wait(5000, function()
    by, n = diags_by_code(diag_buf)
    return n == 2
  end, 20)
  check(
    'undoing both fixes brings both diagnostics back',
    vim.deep_equal(vim.api.nvim_buf_get_lines(diag_buf, 0, -1, false), diag_lines) and n == 2,
    describe(diag_buf)
  )
  vim.cmd('bwipeout! ' .. diag_buf)

  -- Codes turned off in the client config: `settings.kerasLsp.diagnostics.ignore` (sent as
  -- initializationOptions by before_init, and with workspace/didChangeConfiguration).
  vim.lsp.config('keras_lsp', { settings = { kerasLsp = { diagnostics = { ignore = { 'ignored-initializer' } } } } })
  local ign_buf, ign_client = open_fixture('ignore.py')
  check(
    'a client started with settings.kerasLsp.diagnostics.ignore = { "ignored-initializer" }',
    ign_client ~= nil
      and vim.deep_equal(
        vim.tbl_get(ign_client.settings, 'kerasLsp', 'diagnostics', 'ignore'),
        { 'ignored-initializer' }
      ),
    ign_client and ign_client.settings
  )
  vim.wait(15000, function()
    by, n = diags_by_code(ign_buf)
    return by['unknown-initializer'] ~= nil
  end, 20)
  check(
    'with ignore = { "ignored-initializer" }: unknown-initializer only',
    by['unknown-initializer'] ~= nil and by['ignored-initializer'] == nil and n == 1,
    describe(ign_buf)
  )
  local actions = {}
  if ign_client then
    vim.api.nvim_win_set_cursor(0, { 4, arg_col + 2 })
    local cp = vim.lsp.util.make_range_params(0, ign_client.offset_encoding)
    cp.context = { diagnostics = {}, only = { 'quickfix' } }
    for _, r in pairs(vim.lsp.buf_request_sync(ign_buf, 'textDocument/codeAction', cp, 5000) or {}) do
      for _, a in ipairs(r.result or {}) do
        table.insert(actions, a.title)
      end
    end
  end
  check('no "Remove `bias_initializer`" quick fix for the ignored code', #actions == 0, actions)

  -- At run time: update_settings() sends workspace/didChangeConfiguration and asks again.
  keras_lsp.update_settings({ diagnostics = { ignore = {} } })
  vim.wait(5000, function()
    by, n = diags_by_code(ign_buf)
    return by['ignored-initializer'] ~= nil
  end, 20)
  check(
    'update_settings({ diagnostics = { ignore = {} } }) brings ignored-initializer back',
    by['ignored-initializer'] ~= nil and n == 2,
    describe(ign_buf)
  )
  keras_lsp.update_settings({ diagnostics = { ignore = { 'unknown-initializer', 'ignored-initializer' } } })
  vim.wait(5000, function()
    _, n = diags_by_code(ign_buf)
    return n == 0
  end, 20)
  check('update_settings() with both codes ignored clears the buffer', n == 0, describe(ign_buf))

  vim.cmd('buffer ' .. bufnr)
  vim.cmd('bwipeout! ' .. ign_buf)
  for _, c in ipairs(diag_clients) do
    c:stop()
  end
  vim.wait(5000, function()
    return vim.iter(diag_clients):all(function(c)
      return c:is_stopped()
    end)
  end, 20)

  -- 11. Clean shutdown.
  client:stop()
  local stopped = vim.wait(5000, function()
    return client:is_stopped()
  end, 20)
  check('server stops on shutdown', stopped)

  -- 12. A binary that is not installed: the health check's advice gives the README's install commands.
  vim.lsp.config('keras_lsp', { cmd = { 'keras-lsp-not-installed' } })
  local missing_health = checkhealth()
  check(
    'checkhealth reports a missing binary as an ERROR',
    missing_health:find('ERROR server binary `keras-lsp-not-installed` not found', 1, true) ~= nil,
    missing_health
  )
  local readme = table.concat(vim.fn.readfile(root .. '/README.md'), '\n')
  local commands = {}
  for command in missing_health:gmatch('`([^`]* install [^`]*)`') do
    table.insert(commands, command)
  end
  local not_in_readme = vim.tbl_filter(function(c)
    return not readme:find(c, 1, true)
  end, commands)
  check(
    "checkhealth's install advice is the README's (pip install keras-lsp, pip install ., cargo install ...)",
    #commands >= 4 and #not_in_readme == 0 and vim.tbl_contains(commands, 'pip install keras-lsp'),
    { commands = commands, not_in_readme = not_in_readme }
  )
end

local ok, err = xpcall(run, debug.traceback)
if not ok then
  check('test script ran without error', false, err)
end
finish()
