-- `:checkhealth keras_lsp`

local M = {}

local name = 'keras_lsp'

-- The install commands, as the repository's README gives them.
local INSTALL = {
  'Install it: `pip install keras-lsp` (or `uv tool install keras-lsp`, `pipx install keras-lsp`),',
  'or from a clone of the keras-lsp repository: `pip install .`, `uv tool install .`',
  'or `cargo install --locked --path server`.',
  "Start Neovim where the folder holding it is on PATH (the activated virtualenv's bin/, ~/.local/bin, ~/.cargo/bin),",
  "or point the plugin at it: require('keras_lsp').setup({ cmd = { '/path/to/.venv/bin/keras-lsp' } })",
}

local function resolved_config()
  local ok, config = pcall(function()
    return vim.lsp.config[name]
  end)
  if ok then
    return config
  end
  return nil
end

local function is_enabled()
  if vim.lsp.is_enabled then
    return vim.lsp.is_enabled(name)
  end
  -- Neovim 0.11 has no public accessor.
  local enabled = rawget(vim.lsp, '_enabled_configs')
  return enabled ~= nil and enabled[name] ~= nil
end

--- `keras-lsp` binaries in the usual virtualenv folders that Neovim does not see on PATH.
local function binaries_nearby()
  local dirs = {}
  if vim.env.VIRTUAL_ENV then
    table.insert(dirs, vim.env.VIRTUAL_ENV)
  end
  local cwd = vim.fn.getcwd()
  for _, venv in ipairs({ '.venv', 'venv', 'env' }) do
    table.insert(dirs, vim.fs.joinpath(cwd, venv))
  end
  local found = {}
  for _, dir in ipairs(dirs) do
    for _, sub in ipairs({ 'bin/keras-lsp', 'Scripts/keras-lsp.exe' }) do
      local exe = vim.fs.joinpath(dir, sub)
      if vim.fn.executable(exe) == 1 and not vim.tbl_contains(found, exe) then
        table.insert(found, exe)
      end
    end
  end
  return found
end

local function check_binary(cmd)
  if type(cmd) == 'function' then
    vim.health.info('`cmd` is a function: the binary cannot be checked from here')
    return
  end
  if type(cmd) ~= 'table' or type(cmd[1]) ~= 'string' then
    vim.health.error('no `cmd` configured', { "require('keras_lsp').setup({ cmd = { '/path/to/keras-lsp' } })" })
    return
  end
  local exe = cmd[1]
  if vim.fn.executable(exe) ~= 1 then
    local advice = vim.deepcopy(INSTALL)
    for _, found in ipairs(binaries_nearby()) do
      table.insert(advice, 1, ("found `%s`: require('keras_lsp').setup({ cmd = { '%s' } })"):format(found, found))
    end
    vim.health.error(('server binary `%s` not found or not executable'):format(exe), advice)
    return
  end
  vim.health.ok(('server binary: `%s`'):format(vim.fn.exepath(exe)))

  local ok, result = pcall(function()
    return vim.system({ exe, '--version' }, { text = true }):wait(5000)
  end)
  if not ok then
    vim.health.error(('`%s --version` failed: %s'):format(exe, tostring(result)))
    return
  end
  local out = vim.trim(result.stdout or '')
  if result.code == 0 and out ~= '' then
    vim.health.ok(('version: %s'):format(out))
  else
    vim.health.error(('`%s --version` exited with %s: %s'):format(exe, tostring(result.code), vim.trim(result.stderr or out)))
  end
end

--- The root markers of a config, flattened (`{ { 'a', 'b' }, { '.git' } }` gives a, b, .git).
local function marker_names(markers)
  local names = {}
  for _, m in ipairs(markers or {}) do
    if type(m) == 'table' then
      vim.list_extend(names, m)
    else
      table.insert(names, m)
    end
  end
  return names
end

local function display(path)
  return vim.fn.fnamemodify(path, ':~')
end

--- Reports the folder the server works in: the client's workspace folders (the root Neovim
--- found from `root_markers`), or, when none was found, the folder of the first file opened,
--- which the server then takes as its workspace.
local function check_root(client, bufs)
  local folders = {}
  for _, f in ipairs(client.workspace_folders or {}) do
    table.insert(folders, vim.uri_to_fname(f.uri))
  end
  if #folders == 0 and client.root_dir then
    folders = { client.root_dir }
  end
  local markers = marker_names(client.config.root_markers)
  if #folders > 0 then
    for _, folder in ipairs(folders) do
      local present = vim.tbl_filter(function(m)
        return vim.uv.fs_stat(vim.fs.joinpath(folder, m)) ~= nil
      end, markers)
      local why = #present > 0 and ('it has ' .. table.concat(present, ', ')) or 'set by root_dir'
      vim.health.ok(('root: %s (%s)'):format(display(folder), why))
    end
    return
  end
  local first = bufs[1] and vim.api.nvim_buf_get_name(bufs[1]) or ''
  local dir = first ~= '' and vim.fs.dirname(first) or nil
  vim.health.warn(
    ('no project root: none of %s was found above %s; the server takes the folder of the first file opened, %s'):format(
      table.concat(markers, ', '),
      first ~= '' and display(first) or 'the file',
      dir and display(dir) or '(none)'
    ),
    {
      'Imports from files outside that folder are not followed.',
      "Add a pyproject.toml (or run `git init`) at the project's top, or set `root_markers` / `root_dir`.",
    }
  )
end

function M.check()
  vim.health.start('keras-lsp')

  if vim.fn.has('nvim-0.11') == 1 then
    vim.health.ok('Neovim ' .. tostring(vim.version()))
  else
    vim.health.error('Neovim 0.11 or newer is required (vim.lsp.config), found ' .. tostring(vim.version()))
    return
  end

  local config = resolved_config()
  if not config then
    vim.health.error('no `keras_lsp` config found: is editors/neovim on the runtimepath?')
    return
  end
  check_binary(config.cmd)

  if is_enabled() then
    vim.health.ok('`keras_lsp` is enabled')
  else
    vim.health.warn('`keras_lsp` is not enabled', { "require('keras_lsp').setup() or vim.lsp.enable('keras_lsp')" })
  end

  local clients = vim.lsp.get_clients({ name = name })
  if #clients == 0 then
    vim.health.warn('no keras-lsp client is running', { 'open a Python file' })
    return
  end
  local plugin = package.loaded['keras_lsp']
  local want_hints = plugin == nil or plugin.options == nil or plugin.options.inlay_hints
  for _, client in ipairs(clients) do
    local bufs = vim.tbl_keys(client.attached_buffers)
    table.sort(bufs)
    local server = client.server_info and client.server_info.name or 'keras-lsp'
    if client.server_info and client.server_info.version then
      server = server .. ' ' .. client.server_info.version
    end
    vim.health.ok(('client %d (%s) attached to %d buffer(s)'):format(client.id, server, #bufs))
    check_root(client, bufs)
    if not client:supports_method('textDocument/inlayHint') then
      vim.health.warn('the server did not announce inlay hint support')
    end
    for _, bufnr in ipairs(bufs) do
      local label = vim.api.nvim_buf_get_name(bufnr)
      label = label ~= '' and vim.fn.fnamemodify(label, ':~:.') or ('buffer ' .. bufnr)
      if vim.lsp.inlay_hint.is_enabled({ bufnr = bufnr }) then
        vim.health.ok(('inlay hints enabled in %s'):format(label))
      elseif want_hints then
        vim.health.warn(('inlay hints disabled in %s'):format(label), { 'vim.lsp.inlay_hint.enable(true)' })
      else
        vim.health.info(('inlay hints disabled in %s (setup({ inlay_hints = false }))'):format(label))
      end
    end
  end
end

return M
